import { Controller, Get, Query, Req, Res } from '@nestjs/common';
import {
  ApiFoundResponse,
  ApiOperation,
  ApiPropertyOptional,
  ApiProperty,
  ApiTags,
} from '@nestjs/swagger';
import { IsString, MaxLength, MinLength } from 'class-validator';
import type { Request, Response } from 'express';
import { Public } from '../../common/access.decorator.js';
import { SessionCookie } from '../session/session-cookie.js';
import { Office365Service } from './office365.service.js';
import { Optional } from '../../common/optional.js';

export class Office365LoginQuery {
  @ApiProperty({ description: 'Workspace slug or id', example: 'acme' })
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  workspace: string;

  @ApiPropertyOptional({
    description:
      'Where to go after signing in: a path or URL on the frontend (anything else goes to its home).',
    example: '/settings',
  })
  @Optional()
  @IsString()
  @MaxLength(2048)
  redirect?: string;
}

@ApiTags('auth')
@Controller('auth/office365')
export class Office365Controller {
  constructor(
    private readonly office365: Office365Service,
    private readonly cookie: SessionCookie,
  ) {}

  @Get('login')
  @Public()
  @ApiOperation({ summary: 'Start signing in with Office365 (Microsoft OpenID Connect)' })
  @ApiFoundResponse({ description: 'Redirect to the Microsoft authorization endpoint' })
  async login(@Query() query: Office365LoginQuery, @Res() response: Response): Promise<void> {
    const { authorizationUrl, flowCookie } = await this.office365.startLogin(query);
    this.office365.setFlowCookie(response, flowCookie);
    response.setHeader('Cache-Control', 'no-store');
    response.redirect(302, authorizationUrl);
  }

  @Get('callback')
  @Public()
  @ApiOperation({ summary: 'Where Microsoft sends the browser back (code and state, or error)' })
  @ApiFoundResponse({ description: 'Signed in: session cookie, redirect to the frontend' })
  async callback(@Req() request: Request, @Res() response: Response): Promise<void> {
    const flowCookie = this.office365.readFlowCookie(request);
    // One attempt per cookie, whatever the outcome (the error page keeps this header).
    this.office365.clearFlowCookie(response);
    response.setHeader('Cache-Control', 'no-store');
    const queryStart = request.originalUrl.indexOf('?');
    const query = new URLSearchParams(
      queryStart === -1 ? '' : request.originalUrl.slice(queryStart + 1),
    );
    const result = await this.office365.completeLogin(query, flowCookie, {
      ipAddress: request.ip ?? 'unknown',
      userAgent: request.headers['user-agent'],
    });
    this.cookie.set(response, result.token, result.lifetimeEndsAt);
    response.redirect(302, result.redirect);
  }
}
