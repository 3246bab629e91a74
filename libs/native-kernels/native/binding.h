// What every family's N-API bindings share. A binding takes typed arrays owned by JS (used in place,
// never copied) and plain numbers. Shapes are validated in TypeScript (src/kernels, src/fused-*.ts);
// a binding checks only lengths, so a bad call throws a RangeError instead of reading out of bounds.
// Each family lists its bindings in one table (see addon.cc): adding a kernel touches its family's
// .h, .cc and -binding.cc, and src/addon.ts, whose load-time check names any binding it lacks.
#pragma once
#include <napi.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace tunefleet::binding {

using Fn = Napi::Value (*)(const Napi::CallbackInfo& info);

/** One exported function: its JS name and the C++ that runs it. */
struct Binding {
  const char* name;
  Fn fn;
};

/** A family's bindings, as its -binding.cc lists them. */
struct BindingTable {
  const Binding* rows;
  size_t count;
};

template <size_t N>
constexpr BindingTable tableOf(const Binding (&rows)[N]) {
  return {rows, N};
}

template <typename T>
struct View {
  T* data;
  int64_t length;
};

inline const char* typedArrayName(napi_typedarray_type type) {
  switch (type) {
    case napi_float32_array: return "Float32Array";
    case napi_int32_array: return "Int32Array";
    case napi_uint8_array: return "Uint8Array";
    default: return "typed array";
  }
}

/** Argument i as a typed array of `type`; null/undefined gives {nullptr, 0} when `optional`. */
template <typename T>
View<T> typedArg(const Napi::CallbackInfo& info, size_t i, napi_typedarray_type type, const char* what, bool optional) {
  if (optional && (info[i].IsNull() || info[i].IsUndefined())) return {nullptr, 0};
  if (!info[i].IsTypedArray() || info[i].As<Napi::TypedArray>().TypedArrayType() != type) {
    throw Napi::TypeError::New(info.Env(), std::string("argument ") + std::to_string(i) + " (" + what + ") must be a " +
                                               typedArrayName(type));
  }
  auto arr = info[i].As<Napi::TypedArrayOf<T>>();
  return {arr.Data(), static_cast<int64_t>(arr.ElementLength())};
}

inline View<float> f32(const Napi::CallbackInfo& info, size_t i, const char* what, bool optional = false) {
  return typedArg<float>(info, i, napi_float32_array, what, optional);
}

inline View<int32_t> i32(const Napi::CallbackInfo& info, size_t i, const char* what, bool optional = false) {
  return typedArg<int32_t>(info, i, napi_int32_array, what, optional);
}

/** A Uint8Array argument (keep masks, bit masks); null/undefined is always allowed and gives {nullptr, 0}. */
inline View<uint8_t> u8(const Napi::CallbackInfo& info, size_t i, const char* what) {
  return typedArg<uint8_t>(info, i, napi_uint8_array, what, true);
}

inline int64_t num(const Napi::CallbackInfo& info, size_t i) { return info[i].As<Napi::Number>().Int64Value(); }
inline float flt(const Napi::CallbackInfo& info, size_t i) { return info[i].As<Napi::Number>().FloatValue(); }

inline void need(const Napi::CallbackInfo& info, bool ok, const std::string& message) {
  if (!ok) throw Napi::RangeError::New(info.Env(), message);
}

}  // namespace tunefleet::binding
