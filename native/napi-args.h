/*
 * Taking arguments from JavaScript, for both addons. A .c file defines ADDON,
 * the prefix of its messages ("layerlab mount"), before it includes this.
 */
#ifndef LAYERLAB_NAPI_ARGS_H
#define LAYERLAB_NAPI_ARGS_H

#include <node_api.h>
#include <stdio.h>
#include <stdlib.h>

/* Throws and returns NULL from the calling function when an N-API call fails. */
#define CHECK(call)                                                                \
  do {                                                                             \
    if ((call) != napi_ok) {                                                       \
      napi_throw_error(env, NULL, ADDON ": N-API call failed: " #call);            \
      return NULL;                                                                 \
    }                                                                              \
  } while (0)

/* A malloc'd copy of string argument `value` (free it), or NULL after throwing; `what` names it. */
static inline char *string_arg(napi_env env, napi_value value, const char *what) {
  size_t length = 0;
  if (napi_get_value_string_utf8(env, value, NULL, 0, &length) != napi_ok) {
    char message[128];
    snprintf(message, sizeof message, ADDON ": %s must be a string", what);
    napi_throw_type_error(env, NULL, message);
    return NULL;
  }
  char *text = malloc(length + 1);
  if (!text) {
    napi_throw_error(env, NULL, ADDON ": out of memory");
    return NULL;
  }
  if (napi_get_value_string_utf8(env, value, text, length + 1, &length) != napi_ok) {
    free(text);
    napi_throw_error(env, NULL, ADDON ": N-API call failed");
    return NULL;
  }
  return text;
}

/* Exactly `count` arguments into argv: 0, or -1 after throwing `usage`. */
static inline int exact_args(napi_env env, napi_callback_info info, size_t count, napi_value *argv, const char *usage) {
  size_t argc = count;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) {
    napi_throw_error(env, NULL, ADDON ": N-API call failed: napi_get_cb_info");
    return -1;
  }
  if (argc != count) {
    napi_throw_type_error(env, NULL, usage);
    return -1;
  }
  return 0;
}

/* A uint32 argument in *out: 0, or -1 after throwing; `what` names it. */
static inline int uint32_arg(napi_env env, napi_value value, const char *what, uint32_t *out) {
  if (napi_get_value_uint32(env, value, out) != napi_ok) {
    char message[128];
    snprintf(message, sizeof message, ADDON ": %s must be a number", what);
    napi_throw_type_error(env, NULL, message);
    return -1;
  }
  return 0;
}

#endif
