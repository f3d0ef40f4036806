-- One 1:1 conversation per pair, also when two requests open it at the same moment: the pair's
-- two account ids, sorted and joined, are unique among direct conversations.
ALTER TABLE conversations ADD COLUMN direct_key TEXT;
CREATE UNIQUE INDEX conversations_direct_key ON conversations (direct_key);
