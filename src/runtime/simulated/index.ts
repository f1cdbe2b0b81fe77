/** The simulated adapter of the RuntimeProvider port: game servers without processes, on an injected clock. */
export { BehaviourFlags, DEFAULT_BEHAVIOUR, behaviourFromArgs, type GameServerBehaviour } from './behaviour.js';
export { gameServerOn, gameServerProgram, SimulatedGameServer, type Disconnect, type JoinResult, type PlayerConnection } from './game-server.js';
export { SimulatedHost, type HostExit, type SimulatedHostOptions } from './host.js';
export type { Program, ProgramInstance, SimExit, SimProcess } from './program.js';
export { SdkLink, SdkUnreachable } from './sdk-link.js';
export { SimulatedRuntime, simulatedLogPath, type SimulatedRuntimeOptions } from './simulated-runtime.js';
