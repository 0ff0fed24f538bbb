import { Global, Injectable, Module } from '@nestjs/common';
import type { Request, Response } from 'express';

/**
 * A module that answers errors under its own path in its own format (SCIM under /scim/v2 in the
 * RFC 7644 error schema), even errors raised before any of its handlers ran (bad JSON, an
 * unknown route). It registers here at start; the ApiExceptionFilter asks, and renders the
 * common `{statusCode, code, message}` body for every other path. So common/ imports no feature.
 */
export interface PathErrorRenderer {
  /** Whether errors of requests to `path` are this renderer's. */
  handles(path: string): boolean;
  /** Writes the error response (when headers are not sent yet); logs what it should. */
  render(exception: unknown, request: Request, response: Response): void;
}

@Injectable()
export class ErrorRenderers {
  private readonly renderers: PathErrorRenderer[] = [];

  register(renderer: PathErrorRenderer): void {
    if (!this.renderers.includes(renderer)) this.renderers.push(renderer);
  }

  /** The renderer that answers for `path`, if a module registered one. */
  for(path: string): PathErrorRenderer | undefined {
    return this.renderers.find((renderer) => renderer.handles(path));
  }
}

/** ErrorRenderers for every module (the filter and the modules that register share one). */
@Global()
@Module({ providers: [ErrorRenderers], exports: [ErrorRenderers] })
export class ErrorRenderersModule {}
