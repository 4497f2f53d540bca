// Types of byoc-connect.js (written by hand; test/usage.ts checks them under tsc --strict).
import type { components } from './api';

export type ProviderEntry = components['schemas']['ProviderEntry'];
export type Connection = components['schemas']['Connection'];
export type SaveBody = components['schemas']['SaveCredentialsBody'];
export type FieldView = components['schemas']['FieldView'];
export type ScopesFieldView = components['schemas']['ScopesFieldView'];

/** Every user-visible string (DEFAULT_STRINGS); placeholders such as {name} and {label} are filled in. */
export interface ByocStrings {
  readonly loading: string;
  readonly loadFailed: string;
  readonly searchLabel: string;
  readonly searchPlaceholder: string;
  readonly categoryLabel: string;
  readonly allCategories: string;
  readonly noMatch: string;
  readonly countShown: string;
  readonly statusActive: string;
  readonly statusPendingSetup: string;
  readonly statusError: string;
  readonly statusNone: string;
  readonly connect: string;
  readonly connectProvider: string;
  readonly edit: string;
  readonly editProvider: string;
  readonly signIn: string;
  readonly signInProvider: string;
  readonly reconnect: string;
  readonly reconnectProvider: string;
  readonly disconnect: string;
  readonly disconnectProvider: string;
  readonly confirmDisconnect: string;
  readonly dialogConnect: string;
  readonly dialogEdit: string;
  readonly introOAuth: string;
  readonly introKey: string;
  readonly introClientCredentials: string;
  readonly introReplace: string;
  readonly redirectLabel: string;
  readonly copy: string;
  readonly copyRedirect: string;
  readonly copied: string;
  readonly copyFailed: string;
  readonly optional: string;
  readonly requiredMark: string;
  readonly alwaysAsked: string;
  readonly alwaysAskedList: string;
  readonly otherScopes: string;
  readonly otherScopesHelp: string;
  readonly notSet: string;
  readonly showSecret: string;
  readonly hideSecret: string;
  readonly providerDocs: string;
  readonly cancel: string;
  readonly close: string;
  readonly save: string;
  readonly saveAndConnect: string;
  readonly saveAndFetch: string;
  readonly saving: string;
  readonly opening: string;
  readonly checkField: string;
  readonly checkFields: string;
  readonly fieldRequired: string;
  readonly fieldTooLong: string;
  readonly fieldOption: string;
  readonly fieldPattern: string;
  readonly fieldPatternExample: string;
  readonly fieldUrl: string;
  readonly fieldScope: string;
  readonly fieldServer: string;
  readonly saved: string;
  readonly connected: string;
  readonly connectFailed: string;
  readonly startFailed: string;
  readonly disconnected: string;
  readonly disconnectFailed: string;
  readonly networkError: string;
  readonly tokenFailed: string;
  readonly httpError: string;
  readonly badAuthorizeUrl: string;
  readonly reasonCode: string;
  readonly reasonUnknown: string;

  /** Why a flow failed, by reason code (docs/api.md); others use reasonUnknown. */
  readonly reasons: Readonly<Record<string, string>>;
}
/** What the `strings` property takes: any of them, `reasons` merged with the defaults. */
export type ByocStringOverrides = Partial<Omit<ByocStrings, 'reasons'>> & { reasons?: Record<string, string> };

export interface CallbackResult {
  provider: string;
  status: 'active' | 'error' | 'pending_completion';
  error?: string;
  completion?: string;
}

export interface ByocErrorDetail {
  /** callback: the callback's outcome, or its completion (POST /oauth/complete), failed. */
  step: 'load' | 'save' | 'start' | 'callback' | 'disconnect';
  provider: string | null;
  status: number;
  code: string;
  message: string;
  fields: Record<string, string> | null;
}
export interface ByocSavedDetail {
  provider: string;
  status: string | null;
  integration: unknown;
}
export interface ByocConnectedDetail {
  provider: string;
  status: 'active';
}
export interface ByocDisconnectedDetail {
  provider: string;
}

export interface ByocConnectEventMap extends HTMLElementEventMap {
  'byoc:saved': CustomEvent<ByocSavedDetail>;
  'byoc:connected': CustomEvent<ByocConnectedDetail>;
  'byoc:error': CustomEvent<ByocErrorDetail>;
  'byoc:disconnected': CustomEvent<ByocDisconnectedDetail>;
}

export declare class ByocConnect extends HTMLElement {
  /** The API base URL (attribute api-base); "" is the page's own origin. */
  apiBase: string;
  /** Limit to these provider ids (attribute providers, comma-separated). */
  providers: string[];
  /** One provider: a single "Connect <Name>" button (attribute provider). */
  provider: string;
  /** The frontend path the callback returns to (attribute return-to); default location.pathname. */
  returnTo: string;
  /** The bearer token for each call; no Authorization header when it returns nothing. */
  getToken: (() => Promise<string | null | undefined> | string | null | undefined) | null;
  /** Extra headers for each call (the local server's X-Org-Id, X-User-Id, X-Org-Role). */
  getHeaders: (() => Promise<Record<string, string>> | Record<string, string>) | null;
  /** Asked before disconnecting; default window.confirm with strings.confirmDisconnect. */
  confirmDisconnect: ((provider: string) => Promise<boolean> | boolean) | null;
  /** Read: the strings in use; write: overrides merged over DEFAULT_STRINGS. */
  get strings(): ByocStrings;
  set strings(value: ByocStringOverrides | null);
  /** Read the catalogue and the connections again. */
  reload(): Promise<void>;
  addEventListener<K extends keyof ByocConnectEventMap>(
    type: K,
    listener: (this: ByocConnect, event: ByocConnectEventMap[K]) => unknown,
    options?: boolean | AddEventListenerOptions,
  ): void;
  addEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject,
    options?: boolean | AddEventListenerOptions,
  ): void;
}

export declare class ApiError extends Error {
  status: number;
  code: string;
  fields: Record<string, string> | null;
  constructor(status: number, code: string, message: string, fields?: Record<string, string> | null);
  toDetail(): { status: number; code: string; message: string; fields: Record<string, string> | null };
}

export declare const DEFAULT_STRINGS: ByocStrings;
export declare const EVENTS: {
  readonly saved: 'byoc:saved';
  readonly connected: 'byoc:connected';
  readonly error: 'byoc:error';
  readonly disconnected: 'byoc:disconnected';
};
export declare function define(tag?: string): void;
export declare function dialogTexts(
  item: { name: string; auth_type: string; grant?: string | null },
  strings?: ByocStrings,
): { intro: string; submit: string };
export declare function mergeStrings(overrides?: ByocStringOverrides | null): ByocStrings;
export declare function format(template: string, values?: Record<string, string | number>): string;
export declare function parseProviderList(value: string | string[] | null | undefined): string[];
export declare function joinUrl(base: string, path: string): string;
export declare function parseCallback(search: string): CallbackResult | null;
export declare function hasCallbackParams(search: string): boolean;
export declare function withoutCallbackParams(href: string): string;
export declare function mergeCatalogue(
  providers: ProviderEntry[] | undefined,
  integrations: Connection[] | undefined,
): Array<ProviderEntry & { connection: Connection | null; status: string | null; connected: boolean }>;
export declare function categoriesOf(providers: Array<{ category?: string | null }>): string[];
export declare function filterProviders<T extends { id: string; name: string; category?: string | null }>(
  providers: T[],
  options?: { only?: string[]; query?: string; category?: string },
): T[];
export declare function statusText(status: string | null | undefined, strings?: ByocStrings): string;
export declare function reasonText(code: string | null | undefined, strings?: ByocStrings): string;
export declare function validateField(field: FieldView, value: string, strings?: ByocStrings): string | null;
export declare function chosenScopes(checked: string[], typed: string): string[];
export declare function invalidScope(scopes: string[]): string | null;
export declare function initialScopes(field: ScopesFieldView, saved?: string[] | null): Set<string>;
export declare function buildSaveBody(
  provider: ProviderEntry,
  values: Record<string, string>,
  scopes?: Partial<Record<'scopes' | 'user_scopes', string[]>>,
): SaveBody;
export declare function requestHeaders(options?: {
  token?: string | null;
  extra?: Record<string, string> | null;
  json?: boolean;
}): Record<string, string>;
export declare function apiError(status: number, body: unknown, strings?: ByocStrings): ApiError;
export declare function checkedAuthorizeUrl(value: unknown, strings?: ByocStrings): string;

declare global {
  interface HTMLElementTagNameMap {
    'byoc-connect': ByocConnect;
  }
}
