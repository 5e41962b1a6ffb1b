/* rapport/plugin.h: the C ABI between rapportd and its plugins.
 *
 * A plugin is a shared object exporting one symbol,
 *
 *     const rapport_plugin_api* rapport_plugin_entry(void);
 *
 * that returns a pointer to a static, immutable function table. The table is
 * append-only: a later minor version only adds members at the end, and the
 * host reads `struct_size` to know which members a plugin has. A different
 * major version is incompatible and refused.
 *
 * Ownership, for every pointer that crosses the boundary:
 *   - the table and its strings belong to the plugin and live as long as the
 *     library stays loaded (the host keeps it loaded while any instance lives);
 *   - an instance belongs to the host between create() and destroy();
 *   - a payload and everything it points to belong to the host and are valid
 *     only during the translate() call;
 *   - an event passed to the host's emit() belongs to the plugin and is valid
 *     only during that call: the host copies what it keeps before returning;
 *   - last_error() returns a string owned by the instance, valid until the next
 *     call on that instance;
 *   - alert entries passed to deliver() and everything they point to belong
 *     to the host and are valid only during that call.
 *
 * Errors are return codes (rapport_status); the instance keeps a message for
 * the last one. RAPPORT_ERR_PERMANENT means the payload itself is bad and
 * sending it again cannot succeed; RAPPORT_ERR_RETRYABLE means it may succeed
 * later (e.g. a lookup the plugin needs is unavailable). No C++ exception, and
 * no longjmp, may cross this boundary.
 *
 * Only <stddef.h> and <stdint.h>: a plugin written in plain C needs nothing
 * else, and no protobuf.
 */
#ifndef RAPPORT_PLUGIN_H_
#define RAPPORT_PLUGIN_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RAPPORT_PLUGIN_ABI_MAJOR 1
#define RAPPORT_PLUGIN_ABI_MINOR 3
#define RAPPORT_PLUGIN_ENTRY_SYMBOL "rapport_plugin_entry"

typedef enum rapport_status {
  RAPPORT_OK = 0,
  RAPPORT_ERR_PERMANENT = 1,        /* the payload is malformed; do not retry it */
  RAPPORT_ERR_RETRYABLE = 2,        /* a transient failure; the same payload may succeed later */
  RAPPORT_ERR_INVALID_CONFIG = 3,   /* create(): the configuration is not acceptable */
  RAPPORT_ERR_INTERNAL = 4          /* a bug in the plugin */
} rapport_status;

typedef enum rapport_plugin_kind {
  RAPPORT_PLUGIN_ADAPTER = 1,       /* native payload -> canonical events */
  RAPPORT_PLUGIN_SINK = 2           /* alert entries -> outside (from ABI 1.3) */
} rapport_plugin_kind;

/* A string that is not NUL-terminated. {NULL, 0} is the empty string. */
typedef struct rapport_str {
  const char* data;
  size_t size;
} rapport_str;

typedef struct rapport_pair {
  rapport_str key;
  rapport_str value;
} rapport_pair;

/* From ABI 1.2: identifiers that name one person (proto rapport.v1.Identity),
 * e.g. a ServiceNow sys_id and user name, a Jira accountId, name and email.
 * The primary id first. */
typedef struct rapport_identity {
  const rapport_str* ids;
  size_t id_count;
} rapport_identity;

/* A canonical event (proto rapport.v1.TicketEvent). Enumerations use the
 * numbers of rapport/v1/events.proto (0 = unset). */
typedef struct rapport_event {
  size_t struct_size;               /* sizeof(rapport_event) as the plugin built it */
  rapport_str tenant;               /* empty: the payload's tenant */
  rapport_str ticket_id;
  rapport_str event_id;             /* stable: the same source change gives the same id */
  int64_t occurred_at_us;           /* microseconds since the epoch, UTC */
  rapport_str source;
  int32_t kind;                     /* EventKind */
  rapport_str actor_id;
  int32_t actor_role;               /* ActorRole */
  rapport_str actor_team;
  int32_t status;                   /* TicketStatus */
  rapport_str status_reason;
  int32_t priority;                 /* Priority */
  rapport_str assignee_agent_id;
  rapport_str assignee_team;
  rapport_str requester_id;
  rapport_str requester_department;
  int32_t requester_vip;            /* 0 or 1 */
  rapport_str service;
  rapport_str category;
  int32_t has_comment;
  rapport_str comment_text;
  int32_t comment_public;           /* 0: internal note */
  int32_t has_survey;
  double survey_score;
  double survey_scale_min;
  double survey_scale_max;
  rapport_str survey_text;
  int32_t has_resolution;
  rapport_str resolution_code;
  rapport_str resolution_notes;
  const rapport_pair* attributes;
  size_t attribute_count;
  /* From ABI 1.2 (a 1.1 plugin's struct_size ends before them): every
   * person the payload names in more than one way. An event of kind
   * IDENTITY (8) carries only these, with an empty ticket_id: a user
   * export. */
  const rapport_identity* identities;
  size_t identity_count;
} rapport_event;

/* One native payload: a webhook body, an export chunk. */
typedef struct rapport_payload {
  size_t struct_size;
  rapport_str tenant;
  rapport_str body;
  rapport_str content_type;         /* e.g. "application/json", "text/csv" */
  const rapport_pair* headers;      /* lower-case names */
  size_t header_count;
} rapport_payload;

/* What the host offers translate(). */
typedef struct rapport_host {
  size_t struct_size;
  void* context;                    /* the host's; pass it back unchanged */
  /* Takes one event (copied before it returns). Returns 0 to go on, non-zero
   * to ask the plugin to stop early (translate then returns RAPPORT_OK). */
  int (*emit)(void* context, const rapport_event* event);
  /* Reports one record of the payload that could not be translated (a bad
   * CSV row, one malformed entry of a list) while the rest goes on. `record`
   * counts from 0; `code` is e.g. "MISSING_FIELD"; both strings are
   * NUL-terminated and copied by the host. */
  void (*reject)(void* context, uint64_t record, const char* code, const char* message);
} rapport_host;

/* From ABI 1.3: one entry of a tenant's alert stream (proto
 * rapport.v1.Alert), handed to a sink. A firing, each update and the
 * resolution of one alert are three entries with three cursors and one
 * alert_id. */
typedef struct rapport_alert_entry {
  size_t struct_size;               /* sizeof(rapport_alert_entry) as the host built it */
  rapport_str tenant;
  uint64_t cursor;                  /* the entry's place in the tenant's log: only grows */
  uint64_t alert_id;                /* the cursor of the entry that fired the alert */
  int32_t state;                    /* AlertState: 1 firing, 2 resolved */
  /* The whole entry as one JSON object: the proto3 JSON mapping of
   * rapport.v1.Alert with the proto's field names (e.g. "finding_ids",
   * "cause_at" as RFC 3339). */
  rapport_str json;
  /* 1: the sink handled this entry before the host restarted. Given again,
   * once, at start, only so a sink that keeps state (e.g. re-sends what is
   * still firing) can rebuild it: it must not be sent again. Only the latest
   * entry of each alert still open is given this way. */
  int32_t replayed;
} rapport_alert_entry;

/* What deliver() did: the first `handled` entries are done with (delivered,
 * or refused for good by the receiver and counted in `refused`). */
typedef struct rapport_delivery {
  size_t struct_size;
  size_t handled;
  size_t refused;
} rapport_delivery;

typedef struct rapport_plugin_instance rapport_plugin_instance;

typedef struct rapport_plugin_api {
  size_t struct_size;               /* sizeof(rapport_plugin_api) as the plugin built it */
  uint32_t abi_major;               /* RAPPORT_PLUGIN_ABI_MAJOR */
  uint32_t abi_minor;               /* RAPPORT_PLUGIN_ABI_MINOR */
  const char* name;                 /* unique, e.g. "freshservice" */
  const char* version;              /* the plugin's own version, e.g. "1.2.0" */
  int32_t kind;                     /* rapport_plugin_kind */
  const char* description;          /* one line */

  /* Creates an instance from `config` (the plugin's configuration text, e.g.
   * a status mapping; may be empty). On failure returns NULL and writes a
   * NUL-terminated message of at most error_size bytes to `error`. */
  rapport_plugin_instance* (*create)(const char* config, size_t config_size, char* error, size_t error_size);
  /* Frees the instance. */
  void (*destroy)(rapport_plugin_instance* instance);
  /* The message of the last error on `instance` ("" when none). From ABI
   * 1.1, after a translate() that returned RAPPORT_OK it may hold a note
   * about the payload for the sender, e.g. "zendesk: event type
   * tags_changed: nothing to record" when the payload gave no events on
   * purpose; a 1.0 host ignores it. */
  const char* (*last_error)(const rapport_plugin_instance* instance);
  /* Adapters: translates one payload, calling host->emit once per event and
   * host->reject once per record it skips. Returns RAPPORT_OK when the
   * payload was read (even with rejected records), or an error for the whole
   * payload (see last_error). Calls on one instance are not concurrent. */
  int32_t (*translate)(rapport_plugin_instance* instance, const rapport_payload* payload, const rapport_host* host);

  /* From ABI 1.3, sinks (an adapter leaves these NULL, a sink leaves
   * translate NULL). A sink's create() gets its configuration as one JSON
   * object: the settings of its entry in `alerts.sinks` (name, kind and every
   * other key; secret_file already read into "secret"; durations such as
   * "timeout" in microseconds as "timeout_us").
   *
   * deliver: hands over `count` entries in cursor order (replayed ones, if
   * any, come first, in one call at start). The sink fills `result` and
   * returns RAPPORT_OK when it handled all of them, or RAPPORT_ERR_RETRYABLE
   * (reason in last_error) when the entries after the first `handled` should
   * be given again later: the host backs off and retries from there, and
   * never hands over again an entry counted as handled, across restarts too.
   * Any other code is treated as RETRYABLE and logged as a plugin bug. When
   * `refused` is not 0, last_error says why (the host logs it). Calls
   * on one instance are not concurrent and come from one thread, off the
   * ingest path: a sink may block on its receiver. */
  int32_t (*deliver)(rapport_plugin_instance* instance, const rapport_alert_entry* entries, size_t count,
                     rapport_delivery* result);
  /* Optional (may be NULL): called about once a second between deliveries
   * with the wall clock, for a sink whose receiver wants what is still firing
   * re-sent (Alertmanager). RAPPORT_OK, or RAPPORT_ERR_RETRYABLE with the
   * reason in last_error (the host logs it; the next call tries again). */
  int32_t (*refresh)(rapport_plugin_instance* instance, int64_t now_us);
} rapport_plugin_api;

/* The one exported symbol (RAPPORT_PLUGIN_ENTRY_SYMBOL). */
typedef const rapport_plugin_api* (*rapport_plugin_entry_fn)(void);

#ifdef __cplusplus
}
#endif

#endif /* RAPPORT_PLUGIN_H_ */
