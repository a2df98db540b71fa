/* Default sanitizer runtime options of a -DVTP_SANITIZE build (cmake/VtpSanitize.cmake links this
 * into every executable). The runtimes call these before main; the environment's
 * ASAN_OPTIONS, LSAN_OPTIONS and UBSAN_OPTIONS are parsed after them and override them. */

#define VTP_SANITIZER_HOOK __attribute__((visibility("default"), used, no_sanitize("address", "undefined")))

/* detect_leaks: a leak fails the process like any other finding. halt_on_error: the first
 * finding ends it with a non-zero status, which fails the test. fast_unwind_on_malloc stays on
 * (our code keeps frame pointers); set it to 0 for whole stacks through Debian's libraries. */
VTP_SANITIZER_HOOK const char* __asan_default_options(void)
{
    return "detect_leaks=1:halt_on_error=1:check_initialization_order=1:"
           "detect_stack_use_after_return=1:strict_string_checks=1";
}

/* Only library-internal leaks are suppressed, each entry with its reason. */
VTP_SANITIZER_HOOK const char* __lsan_default_options(void)
{
    return "suppressions=" VTP_LSAN_SUPPRESSIONS ":print_suppressions=0";
}

VTP_SANITIZER_HOOK const char* __ubsan_default_options(void)
{
    return "print_stacktrace=1:halt_on_error=1:suppressions=" VTP_UBSAN_SUPPRESSIONS;
}
