#pragma once
// One object per process, made at its first use, and made again in a child of fork.

#if defined(__unix__) || defined(__APPLE__)
#include <pthread.h>
#endif

namespace segkit::detail {

/// The process's T. A child of fork gets a new one: the parent's may hold a lock that
/// another thread of the parent took, or count threads the child does not have. Never
/// deleted: a static object's destructor may still use it at exit.
template <class T>
T& process_local() {
  static T* instance = new T;
  static const bool registered = [] {
#if defined(__unix__) || defined(__APPLE__)
    pthread_atfork(nullptr, nullptr, [] { instance = new T; });
#endif
    return true;
  }();
  (void)registered;
  return *instance;
}

}  // namespace segkit::detail
