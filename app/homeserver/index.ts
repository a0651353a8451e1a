/**
 * The typed homeserver client. Server-only: never import this from browser code (it handles access tokens).
 *
 *   const hs = createHomeserverClient({ baseUrl, accessToken, onRequest });
 *   const page = await hs.users.list({ limit: 50 });
 */
import { accountDataApi, type AccountDataApi } from "./accountdata";
import { authApi, type AuthApi } from "./auth";
import { authMetadataApi, type AuthMetadataApi } from "./auth-metadata";
import { devicesApi, type DevicesApi } from "./devices";
import { discoveryApi, type DiscoveryApi } from "./discovery";
import { federationApi, type FederationApi } from "./federation";
import { HomeserverHttp, type HomeserverHttpOptions } from "./http";
import { keysApi, type KeysApi } from "./keys";
import { noticesApi, type NoticesApi } from "./notices";
import { registerApi, type RegisterApi } from "./register";
import { roomsApi, type RoomsApi } from "./rooms";
import { serverApi, type ServerApi } from "./server";
import { tokensApi, type TokensApi } from "./tokens";
import { usersApi, type UsersApi } from "./users";
import { userActionsApi, type UserActionsApi } from "./user-actions";

export interface HomeserverClient {
  http: HomeserverHttp;
  auth: AuthApi;
  /** Whether sign-in is delegated to MAS, and where MAS is. */
  authMetadata: AuthMetadataApi;
  server: ServerApi;
  users: UsersApi;
  /** Acting on users and sessions (reference §9). */
  userActions: UserActionsApi;
  devices: DevicesApi;
  tokens: TokensApi;
  register: RegisterApi;
  federation: FederationApi;
  rooms: RoomsApi;
  keys: KeysApi;
  accountData: AccountDataApi;
  notices: NoticesApi;
  discovery: DiscoveryApi;
  /** The same server with another token (e.g. a login-as-user token for keys.roomKeysVersion). */
  withToken(token: string | undefined): HomeserverClient;
}

export function createHomeserverClientFromHttp(http: HomeserverHttp): HomeserverClient {
  return {
    http,
    auth: authApi(http),
    authMetadata: authMetadataApi(http),
    server: serverApi(http),
    users: usersApi(http),
    userActions: userActionsApi(http),
    devices: devicesApi(http),
    tokens: tokensApi(http),
    register: registerApi(http),
    federation: federationApi(http),
    rooms: roomsApi(http),
    keys: keysApi(http),
    accountData: accountDataApi(http),
    notices: noticesApi(http),
    discovery: discoveryApi(http),
    withToken: (token) => createHomeserverClientFromHttp(http.withToken(token)),
  };
}

export function createHomeserverClient(opts: HomeserverHttpOptions): HomeserverClient {
  return createHomeserverClientFromHttp(new HomeserverHttp(opts));
}

export { HomeserverHttp, sanitizeUrl } from "./http";
export type { HomeserverHttpOptions, HttpMethod, Parser, Query, RequestEvent, RequestOptions } from "./http";
export { HomeserverError, describeHomeserverError, isHomeserverError } from "./errors";
export type { HomeserverErrorKind } from "./errors";
export { collectAll, items, pages, readAhead } from "./paging";
export type { ItemsOf, PageFetcher, PageLike, PagingOptions } from "./paging";
export type { LoginFlow, LoginResult, WhoAmI } from "./auth";
export type { AuthMetadata } from "./auth-metadata";
export type { ClientVersions, UserMediaStatistics, UserMediaStatisticsPage, UserMediaStatisticsParams } from "./server";
export type {
  ListUsersParams,
  ListUsersV2Params,
  UserDetails,
  UserListPage,
  UserOrderBy,
  UserSummary,
  UsernameAvailability,
  WhoisConnection,
  WhoisResult,
} from "./users";
export type { Device } from "./devices";
export type { UserActionsApi, UserChanges } from "./user-actions";
export type { RoomSummary } from "./rooms";
export type { CreateTokenOptions, RegistrationToken, UpdateTokenOptions } from "./tokens";
export type { RegisterRequest, RegisterStepResult, UiaFlow } from "./register";
export type {
  Destination,
  DestinationOrderBy,
  DestinationPage,
  DestinationRoom,
  DestinationRoomsPage,
  ListDestinationsParams,
} from "./federation";
export type { CrossSigningKeyJson, DeviceKeysJson, KeyQueryFailure, KeysQueryResult, RoomKeysVersion } from "./keys";
export type { AccountData } from "./accountdata";
export type {
  AccountDataApi,
  AuthApi,
  DevicesApi,
  DiscoveryApi,
  FederationApi,
  KeysApi,
  NoticesApi,
  RegisterApi,
  ServerApi,
  TokensApi,
  UsersApi,
};
export type { SendNoticeOptions } from "./notices";
export type { Probe, ServerKeys, WellKnownClient } from "./discovery";
