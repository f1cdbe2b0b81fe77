/** A registered, immutable game-server build and how to launch it. */

export const PortProtocols = ['tcp', 'udp'] as const;
export type PortProtocol = (typeof PortProtocols)[number];

export interface PortSpec {
  /** Name the game server looks the port up by, e.g. `game` → env `HANDOFF_PORT_GAME`. */
  name: string;
  protocol: PortProtocol;
}

export interface LaunchSpec {
  /** Absolute path, a path relative to `workingDir`, or a bare name found on PATH. */
  executable: string;
  args: string[];
  env: Record<string, string>;
  /** Absolute, or relative to the control plane's working directory; null means that directory. */
  workingDir: string | null;
}

export interface Build {
  id: string;
  /** Human version label, e.g. `1.4.2`. */
  version: string;
  launch: LaunchSpec;
  ports: PortSpec[];
  /**
   * How many player sessions one server of this build hosts. 0: a service without sessions (a
   * request/response service such as payments); its fleet is found through its endpoints and
   * refuses allocations with FLEET_NOT_ALLOCATABLE.
   */
  sessionsPerServer: number;
  /** Semver range of client versions this build accepts, e.g. `>=1.4.0 <2`. `*` accepts all. */
  compatibleClients: string;
  /**
   * True when the build's game server reads HANDOFF_SDK_URL as a comma-separated list of every
   * replica's SDK endpoint (the Handoff SDK after 0.1.0, or a game that splits it itself). Absent:
   * HANDOFF_SDK_URL holds one URL, which the 0.1.0 SDK requires; the list is in HANDOFF_SDK_URLS.
   */
  sdkUrlList?: boolean;
  labels: Record<string, string>;
  createdAt: number;
}

/** A build as registered: everything but the registration time. */
export type BuildSpec = Omit<Build, 'createdAt'>;
