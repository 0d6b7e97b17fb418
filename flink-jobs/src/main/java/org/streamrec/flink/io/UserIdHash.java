package org.streamrec.flink.io;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * What logs show instead of a user id: the first 12 hex digits of the id's SHA-256, stable across runs and
 * machines, so one user's log lines can still be correlated (and a support request matched by hashing the id the
 * same way) without the logs holding the id itself. It is a pseudonym, not anonymisation: anyone who can guess
 * candidate ids can hash them too, so logs stay access-controlled.
 */
public final class UserIdHash {

    private static final int HEX_DIGITS = 12;

    private UserIdHash() {
    }

    /** {@code u:} followed by 12 hex digits, or {@code u:null}. */
    public static String of(String userId) {
        if (userId == null) {
            return "u:null";
        }
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(userId.getBytes(StandardCharsets.UTF_8));
            return "u:" + HexFormat.of().formatHex(digest).substring(0, HEX_DIGITS);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }
}
