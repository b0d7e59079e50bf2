/**
 * Turns anything thrown by a contract call into a WireError (code, message, hint) for display.
 * The client rebuilds engine errors as LongreadError; transport failures may be plain Errors.
 */

import { errorToWire, type WireError } from '../../engine/errors.ts';

export function toWireError(e: unknown): WireError {
  return errorToWire(e);
}

export function isCancelled(e: unknown): boolean {
  return toWireError(e).code === 'cancelled';
}
