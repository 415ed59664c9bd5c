"""Scrapy settings of the govreports project."""

BOT_NAME = "govreports"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"
COMMANDS_MODULE = "crawler.commands"

USER_AGENT = "govreports/0.1 (+https://github.com/govreports/govreports; annual report research crawler)"
ROBOTSTXT_OBEY = True

# The store: unset MONGO_URI means the embedded on-disk store under DATA_DIR.
MONGO_URI = None
DATA_DIR = "data"

LOG_LEVEL = "INFO"
FEED_EXPORT_ENCODING = "utf-8"
