/*
 * Service "testkit.counter" v1, offered by the testkit plugin and used by testkit_consumer:
 * the smallest possible service table, to prove services cross plugins through the SDK alone.
 */
#ifndef VTP_TESTKIT_COUNTER_H
#define VTP_TESTKIT_COUNTER_H

#include "vtp/abi.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TESTKIT_COUNTER_SERVICE "testkit.counter"
#define TESTKIT_COUNTER_VERSION 1u

typedef struct testkit_counter_v1 {
    uint32_t struct_size;
    void* ctx;
    /* Thread-safe. Returns 1, 2, 3, ... */
    int64_t (*next)(void* ctx);
} testkit_counter_v1;

#define TESTKIT_COUNTER_V1_SIZE VTP_SIZE_THROUGH(testkit_counter_v1, next)

#ifdef __cplusplus
}
#endif

#endif
