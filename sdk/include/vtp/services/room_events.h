/*
 * Service "vtp.rooms.events": events of the live rooms' participants for other plugins, offered by
 * the signalling plugin. A plugin handles the room events whose names begin with its own prefix
 * ("recording:" handles "recording:start", "recording:stop"), which clients send on the room
 * namespace as they send signalling's own ({room, ...}, acknowledged), and speaks to a room's
 * participants on every node. So the recording plugin lets a moderator start a recording from the
 * room and tells every participant that the class is being recorded, without either plugin
 * including the other's headers.
 *
 * Threading: on_event and on_join run on the kernel's WebSocket thread, under the signalling
 * plugin's lock: keep them short and never block (hand
 * slow work to a thread of your own and answer from there). Every function of the table is
 * thread-safe and may be called from a callback (the lock is re-entrant) or from any other thread.
 *
 * Payloads travel as JSON text: one JSON object, the event's single argument.
 */
#ifndef VTP_SERVICES_ROOM_EVENTS_H
#define VTP_SERVICES_ROOM_EVENTS_H

#include "vtp/abi.h"

#ifdef __cplusplus
extern "C" {
#endif

#define VTP_ROOM_EVENTS_SERVICE "vtp.rooms.events"
#define VTP_ROOM_EVENTS_VERSION 1u

/* A participant of a live room: who sent an event, or who joined. Valid during the callback. */
typedef struct vtp_room_participant {
    uint32_t struct_size;
    const char* room;           /* the room's id: "courses:KEY" for a provided room, else signalling's own */
    const char* room_name;      /* its name, for people */
    const char* participant_id; /* the participant (its Socket.IO socket id) */
    const char* user_id;
    const char* roles; /* comma-separated */
    int moderator;     /* 1 if they moderate the room (decided when they joined), else 0 */
} vtp_room_participant;

typedef struct vtp_room_event_handler {
    uint32_t struct_size;
    /* The event names handled: those that begin with it. Ends with ':' ("recording:"); may not
     * overlap another handler's or signalling's own ("room:", "chat:", "presence:", "moderate:",
     * "auth:", "signal", "participant:", "session:"). */
    const char* prefix;
    void* user_data;
    /* Optional. An event from participant `p` of room `p->room`: the client sent one object
     * argument with "room" (a room it is in; signalling refuses anything else with `invalid` or
     * `not-in-room` and never calls this). `payload_json` is that object as sent. When ack_id >= 0
     * the client waits for an answer: give it exactly once with reply() or refuse(), now or later
     * from any thread. */
    void (*on_event)(void* user_data, const vtp_room_participant* p, const char* event, const char* payload_json, size_t payload_len,
                     int64_t ack_id);
    /* Optional. `p` has just joined `p->room` on this node (its join acknowledgement is sent):
     * tell it what it missed with to_participant(). */
    void (*on_join)(void* user_data, const vtp_room_participant* p);
} vtp_room_event_handler;

typedef struct vtp_room_events_v1 {
    uint32_t struct_size;
    void* context;
    /* The handler and its prefix must stay valid until remove_handler() (or the calling plugin's
     * destroy). VTP_INVALID (with the reason in err) for a prefix that is taken or malformed. */
    int (*add_handler)(void* context, const vtp_room_event_handler* handler, vtp_errbuf err);
    /* No callback of it runs once this returns (unless called from inside one). */
    int (*remove_handler)(void* context, const vtp_room_event_handler* handler);
    /* Answers an event with a result object (the acknowledgement's argument). VTP_NOT_FOUND if
     * the participant's socket is gone. */
    int (*reply)(void* context, const char* participant_id, int64_t ack_id, const char* result_json, size_t result_len);
    /* Refuses an event: the acknowledgement is the protocol's {"error": {"code", "message"}}. */
    int (*refuse)(void* context, const char* participant_id, int64_t ack_id, const char* code, const char* message);
    /* `event` with one object argument to every participant of `room`, on every node. Writes the
     * number of participants (every node's) to *count if given. */
    int (*broadcast)(void* context, const char* room, const char* event, const char* payload_json, size_t payload_len, size_t* count);
    /* The same to each participant of `room` who is user `user_id` (every socket of theirs there). */
    int (*to_user)(void* context, const char* room, const char* user_id, const char* event, const char* payload_json, size_t payload_len,
                   size_t* count);
    /* The same to one participant of `room`. VTP_NOT_FOUND if it is not in the room. */
    int (*to_participant)(void* context, const char* room, const char* participant_id, const char* event, const char* payload_json,
                          size_t payload_len);
} vtp_room_events_v1;

/* The table as version 1 shipped: Host::find refuses a smaller one. */
#define VTP_ROOM_EVENTS_V1_SIZE VTP_SIZE_THROUGH(vtp_room_events_v1, to_participant)

#ifdef __cplusplus
}
#endif

#endif
