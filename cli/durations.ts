/**
 * Durations as the command line prints them, in seconds (rounded, never negative). One place for
 * the plan, the progress lines, the downtime summary and the rehearsal.
 */

/** 3,043 → "0 h 50 min 43 s": fixed columns, for summaries set one under the other. */
export function hms(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min ${String(s % 60).padStart(2, '0')} s`;
}

/** 42 → "42 s", 3,043 → "50 min 43 s", 3,730 → "1 h 02 min": only the two largest units. */
export function shortDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}
