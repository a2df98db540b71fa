// Parses an iCalendar file with ical.js (as calendar clients do) and prints what a client would
// show, as JSON: the calendar's name and each event's UID, UTC start and end, local wall-clock
// start in the zone given as argv[3], summary, location and status.
import { readFileSync } from 'node:fs';
import ICAL from 'ical.js';

const text = readFileSync(process.argv[2], 'utf8');
const zone = process.argv[3] ?? 'UTC';
const calendar = new ICAL.Component(ICAL.parse(text));
const wallClock = new Intl.DateTimeFormat('en-GB', { timeZone: zone, hour: '2-digit', minute: '2-digit', hour12: false });
const events = calendar.getAllSubcomponents('vevent').map((component) => {
  const event = new ICAL.Event(component);
  const start = event.startDate.toJSDate();
  return {
    uid: event.uid,
    start: start.toISOString(),
    end: event.endDate.toJSDate().toISOString(),
    startIsUtc: event.startDate.zone === ICAL.Timezone.utcTimezone,
    localStart: wallClock.format(start),
    summary: event.summary,
    location: event.location,
    status: component.getFirstPropertyValue('status'),
    sequence: event.sequence,
  };
});
console.log(JSON.stringify({
  version: calendar.getFirstPropertyValue('version'),
  name: calendar.getFirstPropertyValue('x-wr-calname'),
  events,
}));
