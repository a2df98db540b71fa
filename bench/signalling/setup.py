#!/usr/bin/env python3
"""Accounts, tokens and rooms on a running vtpd for bench/signalling.

    setup.py URL INSTRUCTOR_EMAIL INSTRUCTOR_PASSWORD USERS ROOMS TOKENS_FILE ROOMS_FILE

Registers USERS students (open registration), logs each in and writes their access tokens to
TOKENS_FILE, one a line; logs the instructor in (made beforehand with `vtpctl user create`) and
creates ROOMS rooms of 25 participants, writing their ids to ROOMS_FILE. One keep-alive
connection; every request is checked.
"""
import http.client
import json
import sys
import urllib.parse


def main():
    url, email, password, users, rooms, tokens_file, rooms_file = sys.argv[1:8]
    users, rooms = int(users), int(rooms)
    parsed = urllib.parse.urlparse(url)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=60)

    def call(method, path, body, token=None, expect=(200, 201)):
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = "Bearer " + token
        conn.request(method, path, json.dumps(body), headers)
        response = conn.getresponse()
        data = response.read()
        if response.status not in expect:
            sys.exit(f"{method} {path}: {response.status} {data[:300]!r}")
        return json.loads(data) if data else None

    def login(user_email, user_password):
        return call("POST", "/api/v1/auth/login", {"email": user_email, "password": user_password})["access_token"]

    instructor = login(email, password)
    with open(rooms_file, "w") as out:
        for k in range(rooms):
            room = call("POST", "/api/v1/rooms", {"name": f"bench room {k}", "max_participants": 25}, instructor)
            out.write(room["id"] + "\n")
    student_password = "bench-student-password-" + password[-6:]
    with open(tokens_file, "w") as out:
        for k in range(users):
            student = f"student{k}@bench.example"
            call("POST", "/api/v1/auth/register",
                 {"email": student, "password": student_password, "display_name": f"Student {k}"})
            out.write(login(student, student_password) + "\n")


if __name__ == "__main__":
    main()
