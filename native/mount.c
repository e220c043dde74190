/*
 * mount(2) and umount2(2) for layerlab's host-side overlays (COPY, ADD and
 * WORKDIR). Spawning mount(8) and umount(8) cost 4-5 ms each per file step,
 * most of it in starting the tools; the calls themselves take well under 1 ms.
 *
 *   mount(source: string, target: string, fstype: string, flags: number, data: string): void
 *   umount(target: string, flags: number): void
 *
 * A failure throws an Error whose `code` is the errno name ("EBUSY") and
 * whose `errno` is its number, as Node's fs errors do.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/mount.h>

#define ADDON "layerlab mount"
#include "napi-args.h"

static void throw_errno(napi_env env, int error, const char *call, const char *target) {
  const char *name = strerrorname_np(error);
  char message[4200];
  snprintf(message, sizeof message, "%s: %s, %s '%s'", name ? name : "E?", strerror(error), call, target);
  napi_value code_value, message_value, error_value, errno_value;
  if (napi_create_string_utf8(env, name ? name : "E?", NAPI_AUTO_LENGTH, &code_value) != napi_ok ||
      napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &message_value) != napi_ok ||
      napi_create_error(env, code_value, message_value, &error_value) != napi_ok ||
      napi_create_int32(env, -error, &errno_value) != napi_ok ||
      napi_set_named_property(env, error_value, "errno", errno_value) != napi_ok) {
    napi_throw_error(env, NULL, message);
    return;
  }
  napi_throw(env, error_value);
}

static napi_value do_mount(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  uint32_t flags = 0;
  if (exact_args(env, info, 5, argv, ADDON ": mount(source, target, fstype, flags, data)") != 0 ||
      uint32_arg(env, argv[3], "flags", &flags) != 0) {
    return NULL;
  }
  char *source = NULL, *target = NULL, *fstype = NULL, *data = NULL;
  if ((source = string_arg(env, argv[0], "source")) && (target = string_arg(env, argv[1], "target")) &&
      (fstype = string_arg(env, argv[2], "fstype")) && (data = string_arg(env, argv[4], "data"))) {
    if (mount(source, target, fstype, flags, data) != 0) throw_errno(env, errno, "mount", target);
  }
  free(source);
  free(target);
  free(fstype);
  free(data);
  return NULL;
}

static napi_value do_umount(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  uint32_t flags = 0;
  if (exact_args(env, info, 2, argv, ADDON ": umount(target, flags)") != 0 || uint32_arg(env, argv[1], "flags", &flags) != 0) {
    return NULL;
  }
  char *target = string_arg(env, argv[0], "target");
  if (!target) return NULL;
  if (umount2(target, (int)flags) != 0) throw_errno(env, errno, "umount", target);
  free(target);
  return NULL;
}

NAPI_MODULE_INIT() {
  napi_value fn, value;
  if (napi_create_function(env, "mount", NAPI_AUTO_LENGTH, do_mount, NULL, &fn) != napi_ok ||
      napi_set_named_property(env, exports, "mount", fn) != napi_ok ||
      napi_create_function(env, "umount", NAPI_AUTO_LENGTH, do_umount, NULL, &fn) != napi_ok ||
      napi_set_named_property(env, exports, "umount", fn) != napi_ok ||
      napi_create_uint32(env, MS_RDONLY, &value) != napi_ok || napi_set_named_property(env, exports, "MS_RDONLY", value) != napi_ok ||
      napi_create_uint32(env, MNT_DETACH, &value) != napi_ok || napi_set_named_property(env, exports, "MNT_DETACH", value) != napi_ok) {
    napi_throw_error(env, NULL, ADDON ": could not set up the module");
    return NULL;
  }
  return exports;
}
