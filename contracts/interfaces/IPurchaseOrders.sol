// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {Currency, DocumentId, OrderId, OrgId} from "./Types.sol";

/// @title PurchaseOrders: what a buyer ordered from a supplier, and the evidence of delivery
/// @notice The buyer registers an order against its anchored purchase-order document; the buyer
/// records goods receipts and logistics providers record shipments (bills of lading), each an
/// anchored document. Receivables issued against the order can never add up to more than its total.
interface IPurchaseOrders {
    enum OrderStatus {
        None,
        Open,
        Cancelled
    }

    struct Order {
        OrgId buyer;
        OrgId supplier;
        Currency currency;
        OrderStatus status;
        uint64 registeredAt;
        uint32 receipts;
        uint32 shipments;
        uint256 total;
        uint256 invoiced;
        DocumentId document;
    }

    /* EVENTS */

    event OrderRegistered(
        OrderId indexed id, OrgId indexed buyer, OrgId indexed supplier, Currency currency, uint256 total, DocumentId document
    );
    event ReceiptRecorded(OrderId indexed id, DocumentId indexed receipt);
    event ShipmentRecorded(OrderId indexed id, DocumentId indexed shipment, OrgId indexed carrier);
    event OrderInvoiced(OrderId indexed id, uint256 amount, uint256 invoiced);
    event OrderCancelled(OrderId indexed id);

    /* ERRORS */

    error PurchaseOrderAlreadyRegistered(OrderId id);
    error PurchaseOrderUnknown(OrderId id);
    /// @notice A total must be positive and a currency must be set.
    error PurchaseOrderInvalidAmount();
    /// @notice The supplier is not an active supplier organisation.
    error PurchaseOrderInvalidSupplier(OrgId supplier);
    /// @notice The document is missing, of the wrong type, or issued by someone else.
    error PurchaseOrderInvalidDocument(DocumentId document);
    /// @notice Only the order's buyer may do this.
    error PurchaseOrderNotBuyer(OrderId id, OrgId caller);
    /// @notice Only the order's supplier may invoice it.
    error PurchaseOrderNotSupplier(OrderId id, OrgId caller);
    error PurchaseOrderNotOpen(OrderId id);
    /// @notice Invoicing `amount` more would exceed the order total.
    error PurchaseOrderOverInvoiced(OrderId id, uint256 invoiced, uint256 amount, uint256 total);
    /// @notice An order with receivables cannot be cancelled.
    error PurchaseOrderHasInvoices(OrderId id);

    /* WRITES */

    /// @notice The buyer registers its order `poNumberHash` (keccak256 of the PO number).
    function registerOrder(
        bytes32 poNumberHash,
        OrgId supplier,
        Currency currency,
        uint256 total,
        DocumentId document
    ) external returns (OrderId id);

    /// @notice The buyer records a goods receipt (partial deliveries: several receipts).
    function recordReceipt(OrderId id, DocumentId receipt) external;

    /// @notice A logistics provider records a shipment / bill of lading it issued.
    function recordShipment(OrderId id, DocumentId shipment) external;

    /// @notice The buyer cancels an order nothing has been invoiced against.
    function cancelOrder(OrderId id) external;

    /// @notice Adds `amount` invoiced by `supplier` (called by Receivables when it issues).
    function addInvoiced(OrderId id, OrgId supplier, uint256 amount) external;

    /* VIEWS */

    function order(OrderId id) external view returns (Order memory);

    function orderId(OrgId buyer, bytes32 poNumberHash) external pure returns (OrderId);
}
