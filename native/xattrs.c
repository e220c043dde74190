/*
 * Extended attributes for layerlab: Node has no xattr API, and spawning
 * getfattr cost 2-5 ms twice per build step. Symlinks are never followed
 * (l*xattr, nftw FTW_PHYS), as layers store links, not their targets.
 *
 *   readXattrs(paths: string[]): (Array<string | Buffer> | null)[]
 *     per path, [name, value, name, value, ...], or null when it has none or
 *     cannot be read (gone, no xattr support): getfattr's skip-and-go-on.
 *   readXattrsTree(dir: string): Array<string | Array<string | Buffer>>
 *     [path, [name, value, ...], path, [...], ...] for every entry under dir
 *     (dir included) that has attributes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <ftw.h>
#include <node_api.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>

#define ADDON "layerlab xattrs"
#include "napi-args.h"

/* Names and values of one path; *out is left NULL when it has none. Returns 0, or -1 after throwing. */
static int list_path(napi_env env, const char *path, napi_value *out) {
  *out = NULL;
  char *names = NULL;
  ssize_t size = 0;
  for (;;) {
    size = llistxattr(path, NULL, 0);
    if (size <= 0) return 0;
    char *grown = realloc(names, (size_t)size);
    if (!grown) {
      free(names);
      napi_throw_error(env, NULL, "layerlab xattrs: out of memory");
      return -1;
    }
    names = grown;
    ssize_t got = llistxattr(path, names, (size_t)size);
    if (got >= 0) {
      size = got;
      break;
    }
    if (errno != ERANGE) { /* changed or vanished meanwhile */
      free(names);
      return 0;
    }
  }
  napi_value pairs;
  if (napi_create_array(env, &pairs) != napi_ok) goto fail;
  uint32_t index = 0;
  for (ssize_t at = 0; at < size;) {
    const char *name = names + at;
    size_t name_len = strlen(name);
    at += (ssize_t)name_len + 1;
    char *value = NULL;
    ssize_t value_len;
    for (;;) {
      value_len = lgetxattr(path, name, NULL, 0);
      if (value_len < 0) break;
      char *grown = realloc(value, value_len > 0 ? (size_t)value_len : 1);
      if (!grown) {
        free(value);
        napi_throw_error(env, NULL, "layerlab xattrs: out of memory");
        free(names);
        return -1;
      }
      value = grown;
      ssize_t got = lgetxattr(path, name, value, (size_t)value_len);
      if (got >= 0) {
        value_len = got;
        break;
      }
      if (errno != ERANGE) {
        value_len = -1;
        break;
      }
    }
    if (value_len < 0) { /* removed between list and get */
      free(value);
      continue;
    }
    napi_value js_name, js_value;
    void *data;
    if (napi_create_string_utf8(env, name, name_len, &js_name) != napi_ok ||
        napi_create_buffer_copy(env, (size_t)value_len, value_len > 0 ? value : "", &data, &js_value) != napi_ok ||
        napi_set_element(env, pairs, index++, js_name) != napi_ok ||
        napi_set_element(env, pairs, index++, js_value) != napi_ok) {
      free(value);
      goto fail;
    }
    free(value);
  }
  free(names);
  if (index > 0) *out = pairs;
  return 0;
fail:
  free(names);
  napi_throw_error(env, NULL, "layerlab xattrs: N-API call failed");
  return -1;
}

static napi_value read_xattrs(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  bool is_array = false;
  if (argc < 1 || napi_is_array(env, argv[0], &is_array) != napi_ok || !is_array) {
    napi_throw_type_error(env, NULL, "layerlab xattrs: readXattrs takes an array of paths");
    return NULL;
  }
  uint32_t count;
  CHECK(napi_get_array_length(env, argv[0], &count));
  napi_value result, null_value;
  CHECK(napi_create_array_with_length(env, count, &result));
  CHECK(napi_get_null(env, &null_value));
  for (uint32_t i = 0; i < count; i++) {
    napi_value item;
    CHECK(napi_get_element(env, argv[0], i, &item));
    char *path = string_arg(env, item, "a path");
    if (!path) return NULL;
    napi_value pairs;
    int failed = list_path(env, path, &pairs);
    free(path);
    if (failed) return NULL;
    CHECK(napi_set_element(env, result, i, pairs ? pairs : null_value));
  }
  return result;
}

/* nftw has no user pointer: the walk in progress, one at a time on the JS thread. */
static struct {
  napi_env env;
  napi_value result;
  uint32_t index;
  int failed;
} walk;

static int visit(const char *path, const struct stat *st, int type, struct FTW *ftw) {
  (void)st;
  (void)type;
  (void)ftw;
  napi_value pairs;
  if (list_path(walk.env, path, &pairs) != 0) {
    walk.failed = 1;
    return 1;
  }
  if (!pairs) return 0;
  napi_value js_path;
  if (napi_create_string_utf8(walk.env, path, NAPI_AUTO_LENGTH, &js_path) != napi_ok ||
      napi_set_element(walk.env, walk.result, walk.index++, js_path) != napi_ok ||
      napi_set_element(walk.env, walk.result, walk.index++, pairs) != napi_ok) {
    napi_throw_error(walk.env, NULL, "layerlab xattrs: N-API call failed");
    walk.failed = 1;
    return 1;
  }
  return 0;
}

static napi_value read_xattrs_tree(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1) {
    napi_throw_type_error(env, NULL, "layerlab xattrs: readXattrsTree takes a directory");
    return NULL;
  }
  char *dir = string_arg(env, argv[0], "a path");
  if (!dir) return NULL;
  napi_value result;
  if (napi_create_array(env, &result) != napi_ok) {
    free(dir);
    napi_throw_error(env, NULL, "layerlab xattrs: N-API call failed");
    return NULL;
  }
  walk.env = env;
  walk.result = result;
  walk.index = 0;
  walk.failed = 0;
  int rc = nftw(dir, visit, 32, FTW_PHYS);
  int walk_errno = errno;
  free(dir);
  if (walk.failed) return NULL;
  if (rc != 0) {
    char message[256];
    snprintf(message, sizeof message, "layerlab xattrs: cannot walk the tree: %s", strerror(walk_errno));
    napi_throw_error(env, NULL, message);
    return NULL;
  }
  return result;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  if (napi_create_function(env, "readXattrs", NAPI_AUTO_LENGTH, read_xattrs, NULL, &fn) != napi_ok ||
      napi_set_named_property(env, exports, "readXattrs", fn) != napi_ok ||
      napi_create_function(env, "readXattrsTree", NAPI_AUTO_LENGTH, read_xattrs_tree, NULL, &fn) != napi_ok ||
      napi_set_named_property(env, exports, "readXattrsTree", fn) != napi_ok) {
    return NULL;
  }
  return exports;
}
