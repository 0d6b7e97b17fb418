/**
 * Datasets as sessions: the {@link org.streamrec.data.Session} and {@link org.streamrec.data.SessionDataset}
 * types, and readers for the files in {@code shared/data}.
 *
 * <p>{@link org.streamrec.data.DatasetReaders} is the entry point: it detects the
 * {@link org.streamrec.data.DatasetFormat} from a file's content and picks the reader
 * ({@link org.streamrec.data.SessionTsvReader}, {@link org.streamrec.data.DigineticaRawReader},
 * {@link org.streamrec.data.OttoJsonlReader}, {@link org.streamrec.data.MovieLensRatingsReader}).
 *
 * <p>Contract shared by the readers:
 * <ul>
 *   <li>gzip is recognised by its magic bytes, whatever the file is called; text is UTF-8, a leading byte order
 *       mark is ignored, and {@code \n}, {@code \r\n} and a missing final newline are all accepted;</li>
 *   <li>a line that cannot be used is never dropped silently: {@link org.streamrec.data.ReadReport#malformedCount()}
 *       counts all of them and the report keeps the first {@value org.streamrec.data.ReadReport#MAX_KEPT} with their
 *       1-based line number (the header is line 1), a reason, and the line (cut after 1,000 characters);</li>
 *   <li>{@link org.streamrec.data.ReadReport#linesRead()} counts every line including the header, and
 *       {@link org.streamrec.data.ReadReport#eventsRead()} the events that made it into the dataset;</li>
 *   <li>an empty file, or one with only a header, gives an empty dataset; a header without a required column
 *       throws {@link org.streamrec.data.DatasetFormatException};</li>
 *   <li>timestamps are epoch milliseconds, except for {@link org.streamrec.data.DatasetFormat#SESSION_TSV_ORDINAL}
 *       (SR-GNN diginetica), whose source only has an ordinal event index.</li>
 * </ul>
 */
package org.streamrec.data;
