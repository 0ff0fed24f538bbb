import { Body, Controller, Get, HttpCode, Post, Req, Res } from '@nestjs/common';
import {
  ApiConsumes,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiProperty,
  ApiTags,
} from '@nestjs/swagger';
import { IsString, MaxLength, MinLength } from 'class-validator';
import type { Request, Response } from 'express';
import { Public } from '../common/access.decorator.js';
import { PASSWORD_MAX_LENGTH } from '../common/password-hasher.js';
import { ApiErrors } from '../common/openapi.js';
import { SIGN_IN_METHODS, type SignInMethod } from '../workspace/sign-in-methods.js';
import { AuthException } from './auth.errors.js';
import { PasswordSignInService } from './password-sign-in.service.js';
import { SameOriginJson } from './same-origin-json.guard.js';
import { SessionCookie } from './session/session-cookie.js';
import { ActiveSession, SessionService } from '../workspace/sessions/session.service.js';

export class PasswordLoginDto {
  @ApiProperty({ description: 'Workspace slug or id', example: 'acme' })
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  workspace: string;

  @ApiProperty({ example: 'ada@example.com' })
  @IsString()
  @MinLength(3)
  @MaxLength(254)
  email: string;

  @ApiProperty()
  @IsString()
  @MinLength(1)
  @MaxLength(PASSWORD_MAX_LENGTH)
  password: string;
}

class SessionUserView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() email: string;
  @ApiProperty({ nullable: true, type: String }) fullName: string | null;
}

class SessionWorkspaceView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() slug: string;
  @ApiProperty() name: string;
}

/** `GET /auth/session` and the password sign-in's answer (the OpenAPI document's shape). */
export class SessionView {
  @ApiProperty({ type: SessionUserView }) user: SessionUserView;
  @ApiProperty({ type: SessionWorkspaceView }) workspace: SessionWorkspaceView;
  @ApiProperty({ enum: ['admin', 'member'] }) role: string;
  @ApiProperty({ enum: SIGN_IN_METHODS, description: 'How this session signed in' })
  method: SignInMethod;
  @ApiProperty({
    description:
      'When the session ends: its lifetime from sign-in, or sooner by the idle timeout when unused',
  })
  expiresAt: Date;
}

export function sessionView(session: ActiveSession): SessionView {
  return {
    user: { id: session.userId, email: session.email, fullName: session.fullName },
    workspace: {
      id: session.workspaceId,
      slug: session.workspaceSlug,
      name: session.workspaceName,
    },
    role: session.role,
    method: session.method,
    expiresAt: session.expiresAt,
  };
}

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(
    private readonly passwordSignIn: PasswordSignInService,
    private readonly sessions: SessionService,
    private readonly cookie: SessionCookie,
  ) {}

  @Post('password/login')
  @HttpCode(200)
  @ApiOkResponse({ type: SessionView })
  @Public()
  @SameOriginJson('required')
  @ApiConsumes('application/json')
  @ApiErrors(
    400,
    { 401: ['INVALID_CREDENTIALS'] },
    {
      403: [
        'CROSS_ORIGIN_REQUEST',
        'SIGN_IN_METHOD_DISABLED',
        'MEMBERSHIP_DEACTIVATED',
        'NOT_A_MEMBER',
        'MEMBER_REMOVED',
      ],
    },
    { 415: ['JSON_REQUIRED'] },
    { 429: ['TOO_MANY_ATTEMPTS'] },
    503,
  )
  async passwordLogin(
    @Body() body: PasswordLoginDto,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ) {
    const { token } = await this.passwordSignIn.signIn(body, {
      ipAddress: request.ip ?? 'unknown',
      userAgent: request.headers['user-agent'],
    });
    const session = await this.sessions.authenticate(token);
    if (!session) throw new Error('A session just created did not authenticate');
    this.cookie.set(response, token, session.lifetimeEndsAt);
    return sessionView(session);
  }

  @Get('session')
  @Public()
  @ApiOkResponse({ type: SessionView })
  @ApiErrors({ 401: ['NOT_SIGNED_IN'] }, 503)
  async current(@Req() request: Request) {
    return sessionView(await this.requireSession(request));
  }

  @Post('logout')
  @HttpCode(204)
  @Public()
  @SameOriginJson('optional')
  @ApiNoContentResponse({ description: 'Signed out; the session cookie is cleared' })
  @ApiErrors({ 403: ['CROSS_ORIGIN_REQUEST'] }, { 415: ['JSON_REQUIRED'] }, 503)
  async logout(@Req() request: Request, @Res({ passthrough: true }) response: Response) {
    const token = this.cookie.read(request);
    const session = token ? await this.sessions.authenticate(token) : null;
    if (session) await this.sessions.revoke(session.id, 'logout');
    this.cookie.clear(response);
  }

  private async requireSession(request: Request): Promise<ActiveSession> {
    const token = this.cookie.read(request);
    const session = token ? await this.sessions.authenticate(token) : null;
    if (!session) throw new AuthException('NOT_SIGNED_IN', 'You are not signed in.');
    return session;
  }
}
