-- A member taken out of a conversation and later added again does not read what was said while
-- they were out: the positions from_seq..to_seq of that conversation stay hidden from them.
CREATE TABLE member_gaps (
    conversation_id TEXT NOT NULL REFERENCES conversations (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    from_seq BIGINT NOT NULL,
    to_seq BIGINT NOT NULL,
    PRIMARY KEY (conversation_id, user_id, from_seq)
);
