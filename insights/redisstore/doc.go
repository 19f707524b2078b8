// Package redisstore keeps RepCoach's working data in Redis: the imported CRM
// dataset, the computed reports (published as immutable, versioned
// snapshots), the Slack-user-to-rep identity cache, Events API dedupe,
// exactly-once delivery claims, fan-out outboxes, preferences and scheduler
// locks. It is the only package that knows Redis keys; callers see
// insights types and the domain errors insights.ErrNoData,
// insights.ErrUnknownRep and insights.ErrUnknownTeam, never redis.Nil.
// Open with an empty URL starts an embedded in-process Redis (miniredis) so
// that the demo and tests run the same go-redis code path without a server.
//
// # Key schema
//
// Every key starts with Options.Prefix, written P below (default "rc:").
// Text in braces is a Redis Cluster hash tag: keys that a Lua script or a
// MULTI touches together share one, so every script and transaction stays in
// one hash slot under Sentinel, standalone and Cluster alike. N is a snapshot
// version, G a dataset generation, <period> an insights.PeriodKind; rep IDs,
// team keys, Slack IDs and names are used verbatim and always come last in a
// key, so they may contain colons.
//
//	Key                               Type    TTL                Written by                          Read by
//	P{snap}:seq                       STRING  none               Publish (INCR)                      Publish
//	P{snap}:current                   STRING  none               Publish (N)                         every report read, Current, Teams
//	P{snap}:versions                  ZSET    none               Publish                             Publish (clean-up of superseded or abandoned versions)
//	P{snap}:v:N:meta                  HASH    none, then Grace   Publish                             Current (as_of), clean-up (started_at, complete)
//	P{snap}:v:N:idx                   HASH    none, then Grace   Publish                             every report read ("rep:<period>:<rep>" or "team:<period>:<team>" -> "W:fingerprint@as-of", W the version that wrote the report, as-of the report's as-of time in this version)
//	P{snap}:v:N:teams                 SET     none, then Grace   Publish                             Teams
//	P{snap}:v:N:reps                  SET     none, then Grace   Publish                             Reps
//	Psnap:W:rep:<period>:<rep>        STRING  none, then Grace   Publish (version W)                 RepReport, RepReports (JSON insights.RepReport), through an index entry
//	Psnap:W:team:<period>:<team>      STRING  none, then Grace   Publish (version W)                 TeamReport (JSON insights.TeamReport), through an index entry
//	Pdata:seq                         STRING  none               SaveDataset (INCR)                  SaveDataset
//	Pdata:current                     STRING  none               SaveDataset (G)                     Dataset
//	Pdata:gens                        ZSET    none               SaveDataset                         SaveDataset (clean-up)
//	Pdata:g:G:meta                    HASH    none, then Grace   SaveDataset                         Dataset (record and bucket counts), clean-up (started_at, complete)
//	Pdata:g:G:<kind>:<b>              HASH    none, then Grace   SaveDataset                         Dataset (record ID -> JSON; kind is reps, deals, activities or quotas; b a bucket)
//	Pdata:g:G:prices                  HASH    none, then Grace   SaveDataset                         Dataset (product -> list price)
//	P{id}:user:<slackID>              STRING  LinkUsers ttl      LinkUsers (Lua)                     UserRep (rep ID)
//	P{id}:rep:<rep>                   STRING  LinkUsers ttl      LinkUsers                           RepUser (Slack user ID)
//	P{id}:book                        STRING  none               SaveLinkBook                        LinkBook (JSON insights.LinkBook: links, clashes, unmatched)
//	P{id}:book:generation             STRING  none               SaveLinkBook (with the book)        LinkBookGeneration (CRM data generation of the book)
//	P{id}:decisions                   HASH    none               SetLinkDecision                     LinkDecisions (Slack ID -> rep, "" for nobody)
//	Ptz:<slackID>                     STRING  CacheUserTZ ttl    CacheUserTZ                         UserTZ (IANA zone name)
//	Pevt:<eventID>                    STRING  FirstDelivery ttl  FirstDelivery (SET NX)              FirstDelivery
//	Pdlv:{<key>}                      HASH    DeliveryRetention  ClaimDelivery, MarkDelivered (Lua)  ClaimDelivery, MarkDelivered, Delivered (state, owner, ts, claims)
//	Pdlv:{<key>}:lease                STRING  lease              ClaimDelivery                       ClaimDelivery, MarkDelivered (owner holding the lease)
//	Pob:{<run>}:pending               ZSET    OutboxTTL          EnqueueOutbox                       OutboxPending (item -> enqueue order)
//	Pob:{<run>}:done                  SET     OutboxTTL          OutboxDone                          EnqueueOutbox (never re-adds a done item)
//	Pob:{<run>}:sealed                STRING  OutboxTTL          EnqueueOutbox (last)                EnqueueOutbox (makes re-enqueue a no-op)
//	Poptout:<slackID>                 SET     none               SetOptOut                           OptedOut (kinds the user opted out of)
//	Prec:<slackID>                    LIST    400 days           AddRecognition                      Recognitions (JSON, newest first, last 100)
//	Ptrain:<slackID>                  HASH    none               SetTraining                         Trainings (module ID -> JSON status)
//	Plang                             HASH    none               SetLanguage                         Language (Slack user ID -> "en" or "tr", chosen with /repcoach language)
//	Ppaused                           HASH    none               SetPaused                           Paused, PausedBy (by, at; absent when running)
//	Plock:<name>                      STRING  lock ttl           TryLock                             TryLock, Unlock (owner)
//	Psync:<source>                    STRING  none               SetSyncState                        SyncState (JSON crmsync.State: watermark, last run, counts, error)
//
// # Snapshots
//
// Publish takes N = INCR P{snap}:seq, registers N in P{snap}:versions,
// writes meta started_at, reads the current version B's index, and encodes
// every report without its as-of time (which goes in N's index entry, as
// it moves with every publish): one whose JSON has the fingerprint B's
// index holds is shared (N's index names the key of the version W that
// wrote it, with N's as-of time), the others are written as Psnap:N:... in pipelined batches of at
// most 1,000 commands, each batch adding its index entries before its keys
// so an interrupted publish can always be cleaned up. Then the shared
// entries, the rep and team sets and meta complete=1, and finally a Lua
// script sets P{snap}:current to N only if B is still current (and N is
// newer): a publisher racing another is discarded (ErrSuperseded) rather
// than sharing keys the other may be retiring. A sync that changed a few
// reports writes a few keys.
//
// A read is two round trips: a Lua script over P{snap}:current and the
// index of the version the Store last saw current (both in KEYS, in the
// {snap} slot; if another version is current it says so and the read asks
// again) returns the keys of the reports asked for, then GET reads them
// (report keys never change). Readers see all of one version or all of the
// next, never a mix. After the flip every older registered version expires
// after Options.Grace (default 10 minutes): its index, and the reports it
// names that N does not share, so multi-step readers such as Teams then
// TeamReport finish undisturbed. A version that is not complete (its
// publisher crashed, or was outrun and is still writing) has its reports
// expired at each clean-up but stays registered with its index until its
// started_at is an hour old, so nothing it writes late is ever leaked.
//
// Under Redis Cluster the reports carry no hash tag and spread over every
// master; only the indexes (about 50 bytes per report) and the version
// keys share the {snap} slot.
//
// # Dataset
//
// SaveDataset writes a new generation G the same way (meta with the bucket
// counts first, then records spread over hash buckets of about 4,096 fields
// so that no single key grows huge, written in pipelined HSETs, then
// complete=1) and then flips Pdata:current. Readers need no script: a
// generation never changes once current. Records are
// keyed by their ID, so duplicates within a dataset collapse (the last one
// wins) and saving the same dataset twice stores the same thing. Readers of
// Pdata:current read one generation; superseded generations expire after
// Options.Grace.
package redisstore
