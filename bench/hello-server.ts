/**
 * REFERENCE ONLY — a Nest + Express app with one "hello" route, the same Nest version and adapter
 * as Gatehouse: the framework's fixed cost per request, measured in the same run as the floor.
 */
import 'reflect-metadata';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';

@Controller()
class HelloController {
  @Get('hello')
  hello() {
    return { hello: 'world' };
  }
}

@Module({ controllers: [HelloController] })
class HelloModule {}

async function main() {
  const app = await NestFactory.create<NestExpressApplication>(HelloModule, { logger: false });
  await app.listen(0, '127.0.0.1');
  process.send?.({ type: 'ready', url: (await app.getUrl()).replace('[::1]', '127.0.0.1') });
  process.on('disconnect', () => void app.close().then(() => process.exit(0)));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
