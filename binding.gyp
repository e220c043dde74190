{
  "targets": [
    {
      "target_name": "layerlab_xattrs",
      "sources": ["native/xattrs.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"]
    },
    {
      "target_name": "layerlab_mount",
      "sources": ["native/mount.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"]
    }
  ]
}
