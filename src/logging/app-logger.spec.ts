import { Logger } from '@nestjs/common';
import type { Request } from 'express';
import { AppLogger } from './app-logger.js';
import { createLogger } from './logger.js';
import { type ContextRequest, runInRequestContext } from './request-context.js';

/** A logger whose lines are kept, parsed, instead of written to stdout. */
async function capturing(logLevel = 'info') {
  const lines: Record<string, unknown>[] = [];
  const destination = { write: (line: string) => void lines.push(JSON.parse(line)) };
  const pino = await createLogger({ logLevel, nodeEnv: 'production' }, destination);
  return { lines, logger: new AppLogger(pino) };
}

describe('AppLogger', () => {
  it('writes Nest module and route-mapping lines at debug, other lines at their level', async () => {
    const { lines, logger } = await capturing();
    logger.log('Mapped {/api/workspaces, GET} route', 'RouterExplorer');
    logger.log('AppModule dependencies initialized', 'InstanceLoader');
    logger.log('Nest application successfully started', 'NestApplication');
    logger.warn('Mail 1 attempt 1 failed; will retry', 'Mail');
    expect(lines).toEqual([
      expect.objectContaining({
        level: 30,
        context: 'NestApplication',
        msg: 'Nest application successfully started',
      }),
      expect.objectContaining({ level: 40, context: 'Mail' }),
    ]);

    const debug = await capturing('debug');
    debug.logger.log('Mapped {/api/workspaces, GET} route', 'RouterExplorer');
    expect(debug.lines).toEqual([
      expect.objectContaining({ level: 20, context: 'RouterExplorer' }),
    ]);
  });

  it('logs an Error with its stack, and error(message, stack, context) as Nest calls it', async () => {
    const { lines, logger } = await capturing();
    logger.error(new Error('boom'), 'ApiExceptionFilter');
    logger.error('failed', 'Error: failed\n    at somewhere', 'Mail');
    expect(lines[0]).toMatchObject({
      level: 50,
      context: 'ApiExceptionFilter',
      msg: 'boom',
      err: { type: 'Error', message: 'boom', stack: expect.stringContaining('Error: boom') },
    });
    expect(lines[1]).toMatchObject({ msg: 'failed', context: 'Mail', stack: expect.any(String) });
  });

  it('serves as the logger of `new Logger(context)` with the context', async () => {
    const { lines, logger } = await capturing();
    Logger.overrideLogger(logger);
    try {
      new Logger('Mail').log('sent');
    } finally {
      Logger.overrideLogger(false);
    }
    expect(lines).toEqual([expect.objectContaining({ level: 30, context: 'Mail', msg: 'sent' })]);
  });

  it('adds the request id, route and workspace to every line logged while serving a request', async () => {
    const { lines, logger } = await capturing();
    const request = {
      id: 'req-1',
      route: { path: '/api/workspaces/:ws/members' },
      workspace: { id: 'ws-id' },
    } as unknown as ContextRequest;
    await new Promise<void>((done) =>
      runInRequestContext(request, () => {
        setImmediate(() => {
          logger.warn('inside', 'Test');
          done();
        });
      }),
    );
    logger.warn('outside', 'Test');
    expect(lines[0]).toMatchObject({
      msg: 'inside',
      reqId: 'req-1',
      route: '/api/workspaces/:ws/members',
      workspaceId: 'ws-id',
    });
    expect(lines[1]).not.toHaveProperty('reqId');
    const scim = { id: 'req-2', scimWorkspaceId: 'scim-ws' } as unknown as Request;
    runInRequestContext(scim as ContextRequest, () => logger.log('scim', 'Test'));
    expect(lines[2]).toMatchObject({ reqId: 'req-2', workspaceId: 'scim-ws' });
  });

  it('redacts credentials in logged objects', async () => {
    const { lines, logger } = await capturing();
    logger.log({
      msg: 'request',
      req: { headers: { authorization: 'Bearer s3cret', cookie: 'gatehouse_session=abc' } },
      res: { headers: { 'set-cookie': 'gatehouse_session=abc' } },
      body: { email: 'ada@example.com', password: 'hunter2', nested: { token: 'tok' } },
    });
    const text = JSON.stringify(lines);
    for (const secret of ['s3cret', 'gatehouse_session=abc', 'hunter2', '"tok"']) {
      expect(text).not.toContain(secret);
    }
    expect(text).toContain('ada@example.com');
    expect(lines[0]).toMatchObject({
      req: { headers: { authorization: '[REDACTED]', cookie: '[REDACTED]' } },
      body: { password: '[REDACTED]', nested: { token: '[REDACTED]' } },
    });
  });
});
