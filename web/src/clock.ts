// Times in a recording: protobuf Durations to seconds, and seconds to the [mm:ss] people read.

import type { Duration } from "@bufbuild/protobuf/wkt";

export function seconds(duration: Duration | undefined): number {
  if (!duration) return 0;
  return Number(duration.seconds) + duration.nanos / 1e9;
}

/** `01:05`, or `1:02:05` past an hour (the CLI's `show --transcript` reads the same). */
export function clock(totalSeconds: number): string {
  const whole = Math.max(0, Math.floor(totalSeconds));
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  const rest = String(whole % 60).padStart(2, "0");
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, "0")}:${rest}` : `${String(minutes).padStart(2, "0")}:${rest}`;
}
