// The next firing of an AWS schedule expression: at(...), rate(...) and cron(...) (six fields:
// minutes hours day-of-month month day-of-week year), in UTC. Returns a Date, or null where the
// expression will not fire again (or uses L, W or # forms this page does not work out).
const UNITS = { minute: 60e3, minutes: 60e3, hour: 3600e3, hours: 3600e3, day: 86400e3, days: 86400e3 };
const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

export function nextFiring(expression, created, startDate, now = Date.now()) {
  const at = /^at\((.+)\)$/.exec(expression || "");
  if (at) {
    const time = Date.parse(`${at[1]}Z`);
    return time > now ? new Date(time) : null;
  }
  const rate = /^rate\((\d+)\s+(\w+)\)$/.exec(expression || "");
  if (rate) {
    const every = Number(rate[1]) * (UNITS[rate[2]] || 0);
    if (!every) return null;
    const origin = Date.parse(startDate || created || "") || now;
    if (origin > now) return new Date(origin);
    return new Date(origin + Math.ceil((now - origin) / every) * every);
  }
  const cron = /^cron\((.+)\)$/.exec(expression || "");
  return cron ? nextCron(cron[1].trim().split(/\s+/), now) : null;
}

function field(text, min, max, names = []) {
  if (text === "*" || text === "?") return null;
  if (/[LW#]/.test(text)) throw new Error("unsupported");
  const values = new Set();
  for (const part of text.split(",")) {
    const [range, step = "1"] = part.split("/");
    const value = (name) => {
      const index = names.indexOf(name.toUpperCase());
      return index >= 0 ? index + min : Number(name);
    };
    let [low, high] = range === "*" ? [min, max] : range.split("-").map(value);
    if (high === undefined) high = step !== "1" ? max : low;
    for (let v = low; v <= high; v += Number(step)) values.add(v);
  }
  return values;
}

function nextCron(fields, now) {
  if (fields.length !== 6) return null;
  let minutes, hours, dom, months, dow, years;
  try {
    minutes = field(fields[0], 0, 59);
    hours = field(fields[1], 0, 23);
    dom = field(fields[2], 1, 31);
    months = field(fields[3], 1, 12, MONTHS);
    dow = field(fields[4], 1, 7, DAYS);
    years = field(fields[5], 1970, 2199);
  } catch {
    return null;
  }
  const time = new Date(Math.floor(now / 60000) * 60000 + 60000);
  for (let i = 0; i < 527040 * 2; i += 1) {
    const ok =
      (!years || years.has(time.getUTCFullYear())) &&
      (!months || months.has(time.getUTCMonth() + 1)) &&
      (!dom || dom.has(time.getUTCDate())) &&
      (!dow || dow.has(time.getUTCDay() + 1)) &&
      (!hours || hours.has(time.getUTCHours())) &&
      (!minutes || minutes.has(time.getUTCMinutes()));
    if (ok) return time;
    if (hours && !hours.has(time.getUTCHours())) time.setUTCHours(time.getUTCHours() + 1, 0);
    else time.setUTCMinutes(time.getUTCMinutes() + 1);
  }
  return null;
}
