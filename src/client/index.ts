/** What matchmakers import as `handoff/client`: the allocation client, its errors and wire types. */
export { HandoffClient, DefaultControlPlaneUrl, type Allocation, type AllocationRequest, type HandoffClientOptions } from './allocation-client.js';
export { ApiError, ConnectionError } from './errors.js';
export { FailoverTransport, type RetryNotice, type TransportOptions, type RequestSpec, type ApiResponse } from './transport.js';
export { NothingChangedCodes, type RetryPolicy, type AttemptFailure } from './retry.js';
export { parseUrlList } from './urls.js';
