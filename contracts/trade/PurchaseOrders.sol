// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IDocumentRegistry} from "../interfaces/IDocumentRegistry.sol";
import {IParticipants} from "../interfaces/IParticipants.sol";
import {IPurchaseOrders} from "../interfaces/IPurchaseOrders.sol";
import {Currency, DocumentId, OrderId, OrgId, OrgRole} from "../interfaces/Types.sol";
import {ConsortiumUpgradeable} from "../governance/ConsortiumUpgradeable.sol";
import {MemberGated} from "../governance/MemberGated.sol";

/// @title PurchaseOrders
/// @notice Orders and their delivery evidence; see {IPurchaseOrders}.
contract PurchaseOrders is IPurchaseOrders, MemberGated {
    /* STORAGE */

    /// @custom:storage-location erc7201:tradeledger.storage.PurchaseOrders
    struct PurchaseOrdersStorage {
        IDocumentRegistry documents;
        mapping(OrderId id => Order) orders;
    }

    // keccak256(abi.encode(uint256(keccak256("tradeledger.storage.PurchaseOrders")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant STORAGE_LOCATION = 0x50334374d277a1f86bf2bafa652a6533e64909c4e29d5cb315e32c3d0ea5d900;

    function _storage() private pure returns (PurchaseOrdersStorage storage $) {
        assembly {
            $.slot := STORAGE_LOCATION
        }
    }

    function initialize(address authority, IParticipants registry, IDocumentRegistry documents) external initializer {
        __MemberGated_init(authority, registry);
        _storage().documents = documents;
    }

    /// @inheritdoc ConsortiumUpgradeable
    function version() external pure virtual override returns (string memory) {
        return "1.0.0";
    }

    /* WRITES */

    /// @inheritdoc IPurchaseOrders
    function registerOrder(
        bytes32 poNumberHash,
        OrgId supplier,
        Currency currency,
        uint256 total,
        DocumentId document
    ) external restricted returns (OrderId id) {
        (OrgId buyer,) = _member();
        id = orderId(buyer, poNumberHash);
        Order storage o = _storage().orders[id];
        if (o.status != OrderStatus.None) revert PurchaseOrderAlreadyRegistered(id);
        if (total == 0 || Currency.unwrap(currency) == bytes3(0)) revert PurchaseOrderInvalidAmount();
        (OrgRole supplierRole,,,,) = participants().organisation(supplier);
        if (supplierRole != OrgRole.Supplier || !_isActiveOrg(supplier)) revert PurchaseOrderInvalidSupplier(supplier);
        _requireDocument(document, IDocumentRegistry.DocumentType.PurchaseOrder, buyer);

        o.buyer = buyer;
        o.supplier = supplier;
        o.currency = currency;
        o.status = OrderStatus.Open;
        o.registeredAt = uint64(block.timestamp);
        o.total = total;
        o.document = document;
        emit OrderRegistered(id, buyer, supplier, currency, total, document);
    }

    /// @inheritdoc IPurchaseOrders
    function recordReceipt(OrderId id, DocumentId receipt) external restricted {
        (OrgId caller,) = _member();
        Order storage o = _open(id);
        if (o.buyer != caller) revert PurchaseOrderNotBuyer(id, caller);
        _requireDocument(receipt, IDocumentRegistry.DocumentType.GoodsReceipt, caller);

        o.receipts += 1;
        emit ReceiptRecorded(id, receipt);
    }

    /// @inheritdoc IPurchaseOrders
    function recordShipment(OrderId id, DocumentId shipment) external restricted {
        (OrgId carrier,) = _member();
        Order storage o = _open(id);
        _requireDocument(shipment, IDocumentRegistry.DocumentType.Shipment, carrier);

        o.shipments += 1;
        emit ShipmentRecorded(id, shipment, carrier);
    }

    /// @inheritdoc IPurchaseOrders
    function cancelOrder(OrderId id) external restricted {
        (OrgId caller,) = _member();
        Order storage o = _open(id);
        if (o.buyer != caller) revert PurchaseOrderNotBuyer(id, caller);
        if (o.invoiced != 0) revert PurchaseOrderHasInvoices(id);

        o.status = OrderStatus.Cancelled;
        emit OrderCancelled(id);
    }

    /// @inheritdoc IPurchaseOrders
    function addInvoiced(OrderId id, OrgId supplier, uint256 amount) external restricted {
        Order storage o = _open(id);
        if (o.supplier != supplier) revert PurchaseOrderNotSupplier(id, supplier);
        if (o.invoiced + amount > o.total) revert PurchaseOrderOverInvoiced(id, o.invoiced, amount, o.total);

        o.invoiced += amount;
        emit OrderInvoiced(id, amount, o.invoiced);
    }

    /* VIEWS */

    /// @inheritdoc IPurchaseOrders
    function order(OrderId id) external view returns (Order memory) {
        Order storage o = _storage().orders[id];
        if (o.status == OrderStatus.None) revert PurchaseOrderUnknown(id);
        return o;
    }

    /// @inheritdoc IPurchaseOrders
    function orderId(OrgId buyer, bytes32 poNumberHash) public pure returns (OrderId) {
        return OrderId.wrap(keccak256(abi.encode(buyer, poNumberHash)));
    }

    /* INTERNALS */

    function _open(OrderId id) private view returns (Order storage o) {
        o = _storage().orders[id];
        if (o.status == OrderStatus.None) revert PurchaseOrderUnknown(id);
        if (o.status != OrderStatus.Open) revert PurchaseOrderNotOpen(id);
    }

    function _requireDocument(DocumentId id, IDocumentRegistry.DocumentType docType, OrgId issuer) private view {
        IDocumentRegistry documents = _storage().documents;
        if (!documents.exists(id)) revert PurchaseOrderInvalidDocument(id);
        IDocumentRegistry.Document memory doc = documents.document(id);
        if (doc.docType != docType || doc.issuer != issuer) revert PurchaseOrderInvalidDocument(id);
    }
}
