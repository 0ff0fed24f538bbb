/**
 * The admin API's request and response shapes the commands reuse: its DTOs, checked by the same
 * validation pipe, and its views, so `--json` prints what the API answers. Commands load this
 * when they run: the decorators pull in Nest, Swagger and class-validator, which `--help` and
 * usage errors do without.
 */
export { CreateSamlProviderDto } from '../auth/saml/dto/saml-provider.dto.js';
export { PageQuery, pageOf } from '../common/paging.js';
export { EnableScimDto } from '../scim/connection/scim-connection.controller.js';
export { AddDomainDto } from '../workspace/dto/domain.dto.js';
export { ListMembersQuery, UpdateMemberDto } from '../workspace/dto/member.dto.js';
export { CreateWorkspaceDto, UpdateSettingsDto } from '../workspace/dto/workspace.dto.js';
export { workspaceView } from '../workspace/workspaces.controller.js';
