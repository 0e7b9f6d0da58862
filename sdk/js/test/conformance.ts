/**
 * Type-level test, compiled (never run) by `npm run build`: the implementation (src/index.ts)
 * must be assignable to the hand-written declarations in types/AgoraRTM.d.ts, Agora's
 * published surface (spec §1.10), so that the two cannot drift apart silently.
 * Nothing declared may be missing from the implementation.
 */

import type Declared from "../types/AgoraRTM";
import type {
  LocalInvitation,
  RemoteInvitation,
  RtmChannel as DeclaredChannel,
  RtmClient as DeclaredClient,
} from "../types/AgoraRTM";
import Impl from "../src/index";
import type {
  LocalInvitation as ImplLocalInvitation,
  RemoteInvitation as ImplRemoteInvitation,
  RtmChannel,
  RtmClient,
} from "../src/index";

/** Compile-time equality of two types. */
type Equal<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assert<T extends true>(): T | undefined {
  return undefined;
}

type Module = typeof Declared;
type ImplModule = typeof Impl;

/**
 * Our client with the declared state type, so that the methods returning `this` (`on`,
 * `once`, ...) can be checked against the declared client.
 */
type Completed = RtmClient & {
  readonly connectionState: DeclaredClient["connectionState"];
};
// ... and our string-union state has the declared enum's values (checked here instead).
assert<Equal<`${DeclaredClient["connectionState"]}`, RtmClient["connectionState"]>>();
type CompletedModule = Omit<ImplModule, "createInstance"> & {
  createInstance: (...args: Parameters<ImplModule["createInstance"]>) => Completed;
};
// (The cast only changes the state's type; see `Completed`.)
const completed = Impl as unknown as CompletedModule;

// 1. Nothing declared is missing.
assert<Equal<Exclude<keyof DeclaredClient, keyof RtmClient>, never>>();
assert<Equal<Exclude<keyof Module, keyof ImplModule>, never>>();
assert<Equal<Exclude<keyof DeclaredChannel, keyof RtmChannel>, never>>();

// 2. Enums: the same names with the same values (ours are `as const` objects, Agora's are
//    TypeScript string enums, so compare them as strings).
type EnumValues<E> = { [K in keyof E]: `${E[K] & string}` };
type EnumKeys = {
  [K in keyof Module]: Module[K] extends Record<string, string> ? K : never;
}[keyof Module];
assert<
  Equal<
    { [K in EnumKeys]: EnumValues<Module[K]> },
    { [K in EnumKeys]: EnumValues<ImplModule[K]> }
  >
>();

// 3. Everything else on the module: assignable to the declared type.
type Checked = Exclude<keyof Module, EnumKeys>;
export const moduleConforms: Pick<Module, Checked> = completed;

// 4. The classes.
export const clientConforms = (client: Completed): DeclaredClient => client;
export const channelConforms = (channel: RtmChannel): DeclaredChannel => channel;
// Invitation states are string unions here and enums there, like the connection state above:
// the values are compared, then the rest of each class is checked with the declared state.
assert<Equal<`${LocalInvitation["state"]}`, ImplLocalInvitation["state"]>>();
assert<Equal<`${RemoteInvitation["state"]}`, ImplRemoteInvitation["state"]>>();
type Stated<T, S> = T & { readonly state: S };
export const localInvitationConforms = (
  i: Stated<ImplLocalInvitation, LocalInvitation["state"]>,
): LocalInvitation => i;
export const remoteInvitationConforms = (
  i: Stated<ImplRemoteInvitation, RemoteInvitation["state"]>,
): RemoteInvitation => i;
