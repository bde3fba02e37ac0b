"""Text columns: tokens, n-gram language models, embeddings and text metrics."""
