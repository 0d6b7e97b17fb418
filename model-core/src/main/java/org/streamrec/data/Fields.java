package org.streamrec.data;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Field splitting and validation for the delimited formats. Hand-written instead of a CSV library or
 * {@code String.split} because the hot path must neither compile a regex nor throw per line: every field
 * is checked here first, and only checked text reaches {@link Long#parseLong}.
 */
final class Fields {

    /** Keeps integers well inside {@code long}, so parsing a checked field can never overflow. */
    static final int MAX_INTEGER_DIGITS = 18;

    private Fields() {
    }

    /**
     * Splits {@code line} at {@code separator}, storing up to {@code out.length} fields.
     *
     * @return the number of fields in the line, which may exceed {@code out.length}
     */
    static int split(String line, char separator, String[] out) {
        int count = 0;
        int start = 0;
        while (true) {
            int end = line.indexOf(separator, start);
            int stop = end < 0 ? line.length() : end;
            if (count < out.length) {
                out[count] = line.substring(start, stop);
            }
            count++;
            if (end < 0) {
                return count;
            }
            start = end + 1;
        }
    }

    /** Column names of a header line, as written. */
    static List<String> headerNames(String header, char separator) {
        List<String> names = new ArrayList<>();
        int start = 0;
        while (true) {
            int end = header.indexOf(separator, start);
            names.add(header.substring(start, end < 0 ? header.length() : end));
            if (end < 0) {
                return names;
            }
            start = end + 1;
        }
    }

    /**
     * Index of each required column in the header, matched case-insensitively.
     *
     * @throws DatasetFormatException when a required column is missing or named twice
     */
    static int[] requireColumns(String source, List<String> header, String... required) throws DatasetFormatException {
        Map<String, Integer> indexByName = new HashMap<>();
        for (int i = 0; i < header.size(); i++) {
            indexByName.merge(header.get(i).trim().toLowerCase(Locale.ROOT), i, (a, b) -> -1);
        }
        int[] indexes = new int[required.length];
        for (int r = 0; r < required.length; r++) {
            Integer index = indexByName.get(required[r].toLowerCase(Locale.ROOT));
            if (index == null || index < 0) {
                throw new DatasetFormatException(source + ": header must name each of the columns "
                        + String.join(", ", required) + " exactly once; found " + header);
            }
            indexes[r] = index;
        }
        return indexes;
    }

    /** Index of an optional column, or -1. */
    static int optionalColumn(List<String> header, String name) {
        for (int i = 0; i < header.size(); i++) {
            if (header.get(i).trim().equalsIgnoreCase(name)) {
                return i;
            }
        }
        return -1;
    }

    /** True for 1..{@value #MAX_INTEGER_DIGITS} ASCII digits and nothing else. */
    static boolean isUnsignedInteger(String s) {
        int n = s.length();
        if (n == 0 || n > MAX_INTEGER_DIGITS) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
        }
        return true;
    }

    /**
     * Reason why {@code value} of column {@code column} is not a non-negative integer, or null when it is.
     */
    static String integerProblem(String column, String value) {
        if (value.isEmpty()) {
            return column + " is empty";
        }
        if (!isUnsignedInteger(value)) {
            return column + " is not a non-negative integer of at most " + MAX_INTEGER_DIGITS + " digits: '" + value + "'";
        }
        return null;
    }

    /** True for {@code digits[.digits]} with at most 15 integer digits, e.g. a MovieLens rating. */
    static boolean isUnsignedDecimal(String s) {
        return unixSecondsToMillis(s) != INVALID;
    }

    /** Marks a value that {@link #unixSecondsToMillis} rejected. */
    static final long INVALID = Long.MIN_VALUE;

    /**
     * Unix seconds written as {@code digits[.digits]} converted exactly to milliseconds, rounding half up
     * beyond the third fraction digit; {@link #INVALID} for anything else (signs, exponents, spaces).
     * Decimal arithmetic rather than {@code Double.parseDouble(s) * 1000}, which turns values such as
     * {@code 1396437466.94} into {@code ...939} after truncation.
     */
    static long unixSecondsToMillis(String s) {
        int n = s.length();
        int dot = s.indexOf('.');
        int integerEnd = dot < 0 ? n : dot;
        // 15 digits of seconds stays far from long overflow once multiplied by 1000.
        if (integerEnd == 0 || integerEnd > 15 || (dot >= 0 && dot == n - 1)) {
            return INVALID;
        }
        long seconds = 0;
        for (int i = 0; i < integerEnd; i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return INVALID;
            }
            seconds = seconds * 10 + (c - '0');
        }
        long millis = 0;
        int roundDigit = 0;
        if (dot >= 0) {
            for (int i = dot + 1; i < n; i++) {
                char c = s.charAt(i);
                if (c < '0' || c > '9') {
                    return INVALID;
                }
                int position = i - dot;
                if (position <= 3) {
                    millis = millis * 10 + (c - '0');
                } else if (position == 4) {
                    roundDigit = c - '0';
                }
            }
            for (int position = n - dot - 1; position < 3; position++) {
                millis *= 10;
            }
        }
        return seconds * 1000 + millis + (roundDigit >= 5 ? 1 : 0);
    }
}
