const dayPattern = /^\d{4}-\d{2}-\d{2}$/;
const dayMs = 24 * 60 * 60_000;

/** The UTC day ("2026-11-23") that `now` falls in: spend is grouped by it. */
export function utcDay(now: number): string {
  return new Date(now).toISOString().slice(0, 10);
}

/** Every UTC day from `fromDay` to `toDay`, both included; empty when the range is backwards. */
export function daysInRange(fromDay: string, toDay: string): string[] {
  const from = parseDay(fromDay);
  const to = parseDay(toDay);
  const days: string[] = [];
  for (let day = from; day <= to; day += dayMs) days.push(utcDay(day));
  return days;
}

function parseDay(day: string): number {
  const time = dayPattern.test(day) ? Date.parse(`${day}T00:00:00Z`) : Number.NaN;
  if (Number.isNaN(time) || utcDay(time) !== day) throw new RangeError(`'${day}' is not a day in the form YYYY-MM-DD`);
  return time;
}
