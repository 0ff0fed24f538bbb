import { Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AppMetrics } from './app-metrics.js';
import { MetricsController, MetricsTokenGuard } from './metrics.controller.js';

/** `/metrics` for Prometheus; bootstrap.ts registers AppMetrics.middleware to count requests. */
@Module({
  controllers: [MetricsController],
  providers: [
    {
      provide: AppMetrics,
      useFactory: (dataSource: DataSource) => new AppMetrics(dataSource),
      inject: [DataSource],
    },
    MetricsTokenGuard,
  ],
  exports: [AppMetrics],
})
export class MetricsModule {}
