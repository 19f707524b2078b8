// Package schedule decides when RepCoach's weekly messages go out and sends
// each one exactly once, without knowing Slack: the calendar rules (a
// weekly local time, working days, holidays, quiet hours, DST) are pure
// functions; the Scheduler runs each job's week for every recipient in
// their own time zone, fans the sends out to a Sender (bot's Poster in
// RepCoach), and runs a job by hand. A dry run is decided here, right
// before each send, and nowhere else.
//
// Each send has a delivery key "<job>/<ISO week>/<user ID>", where the ISO
// week is that of the scheduled day in the recipient's zone: the Sender
// delivers a key once across restarts and replicas, and an Outbox keeps
// each week's fan-out so that one cut short resumes where it stopped.
package schedule
