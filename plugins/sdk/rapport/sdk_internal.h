// What the adapter and sink SDKs share: the instance behind an opaque
// rapport_plugin_instance, and create/destroy/last_error for any plugin
// class. Not for plugin authors; include adapter_sdk.h or sink_sdk.h.
#ifndef RAPPORT_SDK_SDK_INTERNAL_H_
#define RAPPORT_SDK_SDK_INTERNAL_H_

#include <algorithm>
#include <cstring>
#include <exception>
#include <memory>
#include <string>
#include <string_view>

#include "rapport/plugin.h"

namespace rapport::sdk::internal {

inline rapport_str Str(const std::string& s) { return rapport_str{s.data(), s.size()}; }
inline std::string_view View(rapport_str s) { return s.data ? std::string_view(s.data, s.size) : std::string_view(); }

// What a rapport_plugin_instance* points to: the plugin object and the
// message last_error() returns.
template <typename Base>
struct Instance {
  std::unique_ptr<Base> plugin;
  std::string last_error;
};

template <typename Base>
Instance<Base>* Of(rapport_plugin_instance* handle) {
  return reinterpret_cast<Instance<Base>*>(handle);
}

inline void CopyError(const std::string& message, char* error, size_t size) {
  if (error == nullptr || size == 0) return;
  size_t n = std::min(message.size(), size - 1);
  std::memcpy(error, message.data(), n);
  error[n] = '\0';
}

// create(): T::Create(config, &message) returns the plugin, or null with
// the reason; an exception becomes the reason too.
template <typename Base, typename T>
rapport_plugin_instance* Create(const char* config, size_t config_size, char* error, size_t error_size) {
  try {
    std::string message;
    std::unique_ptr<T> plugin = T::Create(std::string_view(config ? config : "", config ? config_size : 0), &message);
    if (!plugin) {
      CopyError(message.empty() ? "the configuration was refused" : message, error, error_size);
      return nullptr;
    }
    return reinterpret_cast<rapport_plugin_instance*>(new Instance<Base>{std::move(plugin), {}});
  } catch (const std::exception& e) {
    CopyError(std::string("create failed: ") + e.what(), error, error_size);
  } catch (...) {
    CopyError("create failed", error, error_size);
  }
  return nullptr;
}

template <typename Base>
void Destroy(rapport_plugin_instance* instance) {
  delete Of<Base>(instance);
}

template <typename Base>
const char* LastError(const rapport_plugin_instance* instance) {
  return reinterpret_cast<const Instance<Base>*>(instance)->last_error.c_str();
}

// Runs `body` (returning a rapport_status) with last_error cleared, turning
// any exception into RAPPORT_ERR_INTERNAL with its message.
template <typename Base, typename Body>
int32_t Guarded(rapport_plugin_instance* handle, Body&& body) {
  Instance<Base>* instance = Of<Base>(handle);
  instance->last_error.clear();
  try {
    return body(*instance->plugin, &instance->last_error);
  } catch (const std::exception& e) {
    instance->last_error = std::string("internal error: ") + e.what();
  } catch (...) {
    instance->last_error = "internal error";
  }
  return RAPPORT_ERR_INTERNAL;
}

}  // namespace rapport::sdk::internal

// In a loadable module: the exported entry symbol, returning `function()`.
#define RAPPORT_EXPORT_ENTRY(function)                                                  \
  extern "C" __attribute__((visibility("default"))) const rapport_plugin_api* rapport_plugin_entry(void) { \
    return function();                                                                   \
  }

#endif  // RAPPORT_SDK_SDK_INTERNAL_H_
