/* A tiny adapter in plain C, compiled as C: proof that the ABI needs no C++.
 * Each line "TICKET EVENT_ID UNIX_SECONDS" becomes a TICKET_CREATED event; a
 * line it cannot read is rejected and the rest go on.
 *
 * Built several times with BROKEN_* defined to make the deliberately broken
 * modules of the loader test. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rapport/plugin.h"

struct rapport_plugin_instance {
  char last_error[128];
};

static rapport_plugin_instance* create(const char* config, size_t config_size, char* error, size_t error_size) {
  (void)config;
  (void)config_size;
  rapport_plugin_instance* instance = calloc(1, sizeof(rapport_plugin_instance));
  if (instance == NULL && error_size > 0) snprintf(error, error_size, "out of memory");
  return instance;
}

static void destroy(rapport_plugin_instance* instance) { free(instance); }

static const char* last_error(const rapport_plugin_instance* instance) { return instance->last_error; }

__attribute__((unused)) static int32_t translate(rapport_plugin_instance* instance, const rapport_payload* payload, const rapport_host* host) {
  const char* p = payload->body.data;
  const char* end = p + payload->body.size;
  uint64_t record = 0, emitted = 0;
  instance->last_error[0] = '\0';
  while (p < end) {
    const char* nl = memchr(p, '\n', (size_t)(end - p));
    const char* line_end = nl ? nl : end;
    char line[256];
    size_t n = (size_t)(line_end - p);
    if (n >= sizeof(line)) n = sizeof(line) - 1;
    memcpy(line, p, n);
    line[n] = '\0';
    p = nl ? nl + 1 : end;
    if (n == 0) continue;
    char ticket[64], id[64];
    long long seconds;
    if (sscanf(line, "%63s %63s %lld", ticket, id, &seconds) != 3) {
      host->reject(host->context, record++, "INVALID_VALUE", "expected: TICKET EVENT_ID UNIX_SECONDS");
      continue;
    }
    rapport_event e;
    memset(&e, 0, sizeof(e));
#ifdef ABI_1_1_EVENT
    /* A plugin built against ABI 1.1: its event ends before `identities`,
     * so the host must not read what lies there (here: a bad pointer). */
    e.struct_size = offsetof(rapport_event, identities);
    e.identities = (const rapport_identity*)1;
    e.identity_count = 3;
#else
    e.struct_size = sizeof(e);
#endif
    e.ticket_id.data = ticket;
    e.ticket_id.size = strlen(ticket);
    e.event_id.data = id;
    e.event_id.size = strlen(id);
    e.occurred_at_us = (int64_t)seconds * 1000000;
    e.kind = 1; /* TICKET_CREATED */
    e.status = 1; /* NEW */
    e.source.data = "c-echo";
    e.source.size = 6;
    record++;
    emitted++;
    if (host->emit(host->context, &e) != 0) break;
  }
  if (emitted == 0 && record > 0) {
    snprintf(instance->last_error, sizeof(instance->last_error), "no line could be read");
    return RAPPORT_ERR_PERMANENT;
  }
  return RAPPORT_OK;
}

#if defined(ABI_1_1_EVENT) && !defined(PLUGIN_NAME)
#define PLUGIN_NAME "c-echo-1.1"
#endif
#ifndef PLUGIN_NAME
#define PLUGIN_NAME "c-echo"
#endif

static const rapport_plugin_api kTable = {
#ifdef BROKEN_SHORT_TABLE
    offsetof(rapport_plugin_api, create),
#else
    sizeof(rapport_plugin_api),
#endif
#ifdef BROKEN_WRONG_MAJOR
    RAPPORT_PLUGIN_ABI_MAJOR + 1,
#else
    RAPPORT_PLUGIN_ABI_MAJOR,
#endif
#ifdef BROKEN_NEWER_MINOR
    RAPPORT_PLUGIN_ABI_MINOR + 7,
#else
    RAPPORT_PLUGIN_ABI_MINOR,
#endif
    PLUGIN_NAME, "0.1.0", RAPPORT_PLUGIN_ADAPTER, "test adapter written in C",
    create, destroy, last_error,
#ifdef BROKEN_MISSING_FUNCTION
    NULL,
#else
    translate,
#endif
    NULL, NULL, /* deliver, refresh: sinks only */
};

#ifdef BROKEN_NO_ENTRY
__attribute__((visibility("default"))) const rapport_plugin_api* some_other_symbol(void) { return &kTable; }
#else
__attribute__((visibility("default"))) const rapport_plugin_api* rapport_plugin_entry(void) { return &kTable; }
#endif
