package org.streamrec.data;

/** The dataset layouts the readers understand; {@link DatasetReaders#detect} picks one from a file's content. */
public enum DatasetFormat {
    /** {@code SessionId<TAB>ItemId<TAB>Time}, Time in Unix seconds, click events (rsc15 / YooChoose, session-rec). */
    SESSION_TSV_UNIX_SECONDS,
    /** {@code SessionId<TAB>ItemId<TAB>Time}, Time an ordinal event index, view events (SR-GNN diginetica). */
    SESSION_TSV_ORDINAL,
    /** Raw DIGINETICA {@code session_id;user_id;item_id;timeframe;eventdate}. */
    DIGINETICA_RAW,
    /** OTTO JSON Lines, one session per line with typed events. */
    OTTO_JSONL,
    /** MovieLens {@code ratings.csv}, one sequence per user. */
    MOVIELENS_RATINGS
}
