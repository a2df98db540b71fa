// Password policy, email normalisation and Argon2id hashing.
#include "PasswordHasher.hpp"
#include "PasswordPolicy.hpp"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

extern const char* vtpAuthCommonPasswords();

using namespace vtp::auth;

TEST(PasswordPolicy, RefusesShortLongAndCommonPasswords)
{
    PasswordPolicy p(12, 20);
    p.addBlocklist(vtpAuthCommonPasswords());
    EXPECT_GT(p.blocklistSize(), 1000u);
    EXPECT_FALSE(p.check("a perfectly fine one"));
    EXPECT_TRUE(p.check("short one"));
    EXPECT_TRUE(p.check("this one is far too long to pass"));
    EXPECT_TRUE(p.check("password1234"));
    EXPECT_TRUE(p.check("PassWord1234")) << "the blocklist is case-insensitive";
    EXPECT_TRUE(p.check("qwertyuiop123"));
}

TEST(PasswordPolicy, CountsCharactersNotBytesAndRefusesInvalidUtf8)
{
    PasswordPolicy p(12, 256);
    EXPECT_FALSE(p.check("ääääääääääää")) << "12 characters, 24 bytes";
    EXPECT_TRUE(p.check("äääääää")) << "7 characters, 14 bytes";
    EXPECT_TRUE(p.check(std::string("abcdefghijk\xff", 12)));
    EXPECT_TRUE(p.check(std::string("abcdefghijk\xc0\x80", 13))) << "overlong encoding";
}

TEST(PasswordPolicy, RefusesThePasswordThatIsTheEmail)
{
    PasswordPolicy p(8, 256);
    EXPECT_TRUE(p.check("margaret.h@uni.example", "margaret.h@uni.example"));
    EXPECT_TRUE(p.check("Margaret.Hamilton", "margaret.hamilton@uni.example"));
    EXPECT_FALSE(p.check("something else entirely", "margaret.hamilton@uni.example"));
}

TEST(Email, IsNormalisedOrRefused)
{
    EXPECT_EQ(normaliseEmail("  Ada.Lovelace@Example.EDU "), "ada.lovelace@example.edu");
    for (const char* bad : {"", "ada", "@example.edu", "ada@", "ada@@example.edu", "ada@example..edu", "ada @example.edu",
                            "ada@.example.edu", "a<b>@example.edu", "ada@example.edu."})
        EXPECT_FALSE(normaliseEmail(bad)) << bad;
    EXPECT_FALSE(normaliseEmail(std::string(300, 'a') + "@example.edu"));
}

TEST(PasswordHasher, HashesWithArgon2idAndVerifies)
{
    PasswordHasher h({8192, 1, 1}, 2, 16);
    const std::string encoded = h.hash("correct horse battery");
    EXPECT_EQ(encoded.rfind("$argon2id$v=19$m=8192,t=1,p=1$", 0), 0u) << encoded;
    EXPECT_TRUE(h.verify(encoded, "correct horse battery"));
    EXPECT_FALSE(h.verify(encoded, "correct horse battery!"));
    EXPECT_FALSE(h.verify("$2b$10$notargon", "correct horse battery"));
    EXPECT_NE(h.hash("correct horse battery"), encoded) << "every hash has its own salt";
}

TEST(PasswordHasher, WeakerParametersNeedARehash)
{
    PasswordHasher weak({8192, 1, 1}, 1, 4);
    PasswordHasher strong({19456, 2, 1}, 1, 4);
    const std::string old = weak.hash("correct horse battery");
    EXPECT_TRUE(strong.needsRehash(old));
    EXPECT_FALSE(weak.needsRehash(old));
    EXPECT_FALSE(strong.needsRehash(strong.hash("correct horse battery")));
    EXPECT_TRUE(strong.needsRehash("$argon2i$v=19$m=65536,t=3,p=1$c2FsdHNhbHQ$aGFzaGhhc2g"));
}

TEST(PasswordHasher, RefusesWhenTooManyChecksAreWaiting)
{
    PasswordHasher h({131072, 2, 1}, 1, 0); // one at a time, nobody may wait; each check ~0.2 s
    const std::string encoded = h.hash("correct horse battery");
    std::thread holder([&] { EXPECT_TRUE(h.verify(encoded, "correct horse battery")); });
    while (h.runningForTest() == 0) std::this_thread::yield(); // until the holder has the one slot
    EXPECT_THROW(h.verify(encoded, "correct horse battery"), HasherBusy);
    holder.join();
    EXPECT_TRUE(h.verify(encoded, "correct horse battery")) << "the slot is free again";
}
