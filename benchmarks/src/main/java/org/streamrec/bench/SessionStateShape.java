package org.streamrec.bench;

/**
 * Same fields, types and order as the serving job's keyed state {@code org.streamrec.flink.serving.SessionState}
 * (flink-jobs, branch wt-serving, not yet on main, so this module cannot depend on it). Flink's POJO serializer
 * writes a POJO by its fields, so this class costs what that one costs. Once the serving job is on main, depend on
 * flink-jobs and benchmark the real class instead.
 */
public class SessionStateShape {

    public String sessionId;
    public String producerSessionId;
    public String[] items;
    public float[] hidden;
    public long modelVersion;
    public long lastEventTime;

    public SessionStateShape() {
    }
}
