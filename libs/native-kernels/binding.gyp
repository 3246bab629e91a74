{
  "targets": [
    {
      "target_name": "tunefleet_native",
      "sources": [
        "native/addon.cc",
        "native/thread-pool.cc",
        "native/matmul.cc",
        "native/elementwise.cc",
        "native/layer-norm.cc",
        "native/layout.cc",
        "native/unary.cc",
        "native/attention.cc",
        "native/dropout.cc",
        "native/shared-memory.cc"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "/usr/include/x86_64-linux-gnu/openblas-pthread",
        "/usr/include/openblas"
      ],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-std=c++17", "-O3", "-fno-math-errno", "-fno-trapping-math"],
      "libraries": ["-lopenblas", "-lpthread"]
    }
  ]
}
