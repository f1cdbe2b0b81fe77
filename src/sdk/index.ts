/** What game servers import: the client, its error type and the wire types. */
export { HandoffSdk, type HandoffSdkOptions } from './client.js';
export { SdkError, SdkClientErrorCodes, type SdkClientErrorCode, type SdkErrorCode } from './sdk-error.js';
export type { WatchOptions } from './watch.js';
export {
  NoticeTypes,
  SdkEndReasons,
  SDK_PREFIX,
  type Notice,
  type NoticeType,
  type SdkEndReason,
  type SdkSelf,
  type SdkSessionView,
} from './protocol.js';
