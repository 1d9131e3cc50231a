#include "base/strmap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

typedef struct {
  char *key;
  void *value;
} Entry;

struct StrMap {
  Entry *entries; /* insertion order */
  int size, cap;
  int *slots;     /* index into entries + 1, 0 = empty */
  int num_slots;  /* power of two */
};

static uint64_t hash_key(const char *s) {
  uint64_t h = 1469598103934665603ULL; /* FNV-1a */
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
  return h;
}

StrMap *strmap_new(void) {
  StrMap *m = xcalloc(1, sizeof *m);
  m->num_slots = 16;
  m->slots = xcalloc((size_t)m->num_slots, sizeof(int));
  return m;
}

void strmap_free(StrMap *m) {
  if (!m) return;
  for (int i = 0; i < m->size; i++) free(m->entries[i].key);
  free(m->entries);
  free(m->slots);
  free(m);
}

static int *find_slot(const StrMap *m, const char *key) {
  size_t mask = (size_t)m->num_slots - 1;
  for (size_t i = hash_key(key) & mask;; i = (i + 1) & mask) {
    int *slot = &m->slots[i];
    if (*slot == 0 || !strcmp(m->entries[*slot - 1].key, key)) return slot;
  }
}

static void grow(StrMap *m) {
  free(m->slots);
  m->num_slots *= 2;
  m->slots = xcalloc((size_t)m->num_slots, sizeof(int));
  for (int i = 0; i < m->size; i++) *find_slot(m, m->entries[i].key) = i + 1;
}

void *strmap_put(StrMap *m, const char *key, void *value) {
  int *slot = find_slot(m, key);
  if (*slot) {
    void *old = m->entries[*slot - 1].value;
    m->entries[*slot - 1].value = value;
    return old;
  }
  if (m->size == m->cap) m->entries = xrealloc(m->entries, sizeof(Entry) * (size_t)(m->cap = m->cap ? 2 * m->cap : 16));
  m->entries[m->size] = (Entry){xstrdup(key), value};
  *slot = ++m->size;
  if (2 * m->size > m->num_slots) grow(m);
  return NULL;
}

void *strmap_get(const StrMap *m, const char *key) {
  int *slot = find_slot(m, key);
  return *slot ? m->entries[*slot - 1].value : NULL;
}

bool strmap_has(const StrMap *m, const char *key) { return *find_slot(m, key) != 0; }
int strmap_size(const StrMap *m) { return m->size; }
const char *strmap_key(const StrMap *m, int i) { return m->entries[i].key; }
void *strmap_value(const StrMap *m, int i) { return m->entries[i].value; }
