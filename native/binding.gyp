# The thin N-API addon over Debian's libbpf (native/build/Release/pacer_native.node). No policy in C:
# TypeScript (src/bpf/) validates arguments, owns the API shape and turns {errno, message} into errors.
{
  "targets": [
    {
      "target_name": "pacer_native",
      "sources": [
        "src/addon.c",
        "src/napi-util.c",
        "src/ownership.c",
        "src/netns.c",
        "src/object.c",
        "src/maps.c",
        "src/tc.c",
        "src/rtnl.c",
        "src/rtnl-call.c",
        "src/rtnl-ops.c",
        "src/rtnl-links.c",
        "src/fs.c"
      ],
      "libraries": ["-lbpf"],
      "defines": ["NAPI_VERSION=8", "_GNU_SOURCE"],
      "cflags": ["-Wall", "-Wextra", "-Werror", "-Wno-unused-parameter", "-Wno-missing-field-initializers"],
      "cflags_c": ["-std=gnu11"]
    }
  ]
}
