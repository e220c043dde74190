{
  "targets": [
    {
      "target_name": "layerlab_xattrs",
      "sources": ["native/xattrs.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"]
    }
  ]
}
