import { SdkError } from '../sdk-error.js';

/** Awaits a call that must fail and returns its SdkError (fails the test with anything else). */
export async function rejection(p: Promise<unknown>): Promise<SdkError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(e instanceof SdkError)) throw new Error(`expected an SdkError, got ${String(e)}`);
  return e;
}
