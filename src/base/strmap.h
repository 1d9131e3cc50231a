/* A string-keyed hash map to pointers (open addressing). Keys are copied. */
#ifndef BASE_STRMAP_H
#define BASE_STRMAP_H

#include <stdbool.h>

typedef struct StrMap StrMap;

StrMap *strmap_new(void);
/* Frees the map and its key copies; values are the caller's (free them first). */
void strmap_free(StrMap *m);
/* Sets key -> value; returns the previous value or NULL. */
void *strmap_put(StrMap *m, const char *key, void *value);
void *strmap_get(const StrMap *m, const char *key); /* NULL when absent */
bool strmap_has(const StrMap *m, const char *key);
int strmap_size(const StrMap *m);
/* Iteration in insertion order: for (int i = 0; i < strmap_size(m); i++) strmap_key(m, i) ... */
const char *strmap_key(const StrMap *m, int i);
void *strmap_value(const StrMap *m, int i);

#endif
