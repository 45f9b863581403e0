from . import integration_documents, sale_order
