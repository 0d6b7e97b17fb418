package org.streamrec.data;

/** Kind of interaction; mirrors the Avro enum without making model-core depend on the schemas. */
public enum EventType {
    VIEW, CLICK, ADD_TO_CART, PURCHASE
}
